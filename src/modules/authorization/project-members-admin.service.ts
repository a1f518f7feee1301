import { Injectable } from '@nestjs/common';
import { RequestContextStore } from '../../core/context/request-context.js';
import { CommonException } from '../../core/errors/app.exception.js';
import type { Page, PageQueryDto } from '../../core/http/pagination.js';
import { accessibleWhere, canOn } from '../../core/http/policies.js';
import { ProjectMembersService, type ProjectMemberResponseDto, type SetProjectMemberDto } from '../identity/index.js';
import { TenancyException } from '../tenancy/index.js';
import { GrantsService } from './grants.service.js';

/** Project-level role assignments, with the caller's reach in that project and the escalation rules applied. */
@Injectable()
export class ProjectMembersAdminService {
  constructor(
    private readonly members: ProjectMembersService,
    private readonly grants: GrantsService,
  ) {}

  list(projectId: string, q: PageQueryDto): Promise<Page<ProjectMemberResponseDto>> {
    const orgId = RequestContextStore.requireOrgId();
    this.assertInReach(orgId, projectId, 'read');
    return this.members.list(orgId, projectId, q, accessibleWhere('read', 'ProjectMember'));
  }

  set(projectId: string, userId: string, dto: SetProjectMemberDto): Promise<ProjectMemberResponseDto> {
    const orgId = RequestContextStore.requireOrgId();
    this.assertInReach(orgId, projectId, 'update');
    return this.grants.audited('project_member', () =>
      this.members.set(orgId, projectId, userId, dto.role, () =>
        this.grants.assertCanGrantProjectRole(projectId, dto.role),
      ),
    );
  }

  remove(projectId: string, userId: string): Promise<void> {
    const orgId = RequestContextStore.requireOrgId();
    this.assertInReach(orgId, projectId, 'delete');
    return this.members.remove(orgId, projectId, userId, () => undefined);
  }

  /** A project the caller cannot see is absent (404); one they see but may not manage here is 403. */
  private assertInReach(orgId: string, projectId: string, action: 'read' | 'update' | 'delete'): void {
    if (!canOn('read', 'Project', { orgId, id: projectId }))
      throw new TenancyException('project_not_found', 'Project not found');
    if (!canOn(action, 'ProjectMember', { orgId, projectId }))
      throw new CommonException('forbidden', 'You do not have permission for this action');
  }
}
