import { Injectable } from '@nestjs/common';
import { In, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { UUID_RE, uuidv7 } from '../../../core/crypto/tokens.js';
import { Database } from '../../../core/database/database.js';
import { TenantScopedRepository } from '../../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import type { Page, PageQueryDto } from '../../../core/http/pagination.js';
import { ProjectEntity, TenancyException } from '../../tenancy/index.js';
import { IdentityException } from '../identity.exception.js';
import { Invalidations } from '../invalidations.js';
import { RolesService, type ResolvedRole } from '../roles/roles.service.js';
import { TtlCache } from '../ttl-cache.js';
import { UserEntity } from '../users/user.entity.js';
import type { ProjectMemberResponseDto } from './project-member.dto.js';
import { ProjectMemberEntity } from './project-member.entity.js';

export interface ProjectRole {
  projectId: string;
  role: string;
}

/** Runs inside the write transaction before the change; throws to refuse (escalation checks). */
export type MemberGuard = (
  target: UserEntity,
  before: ProjectMemberEntity | null,
  role: ResolvedRole | null,
) => void | Promise<void>;
export type MemberFilter = FindOptionsWhere<ProjectMemberEntity>[] | undefined;

const members = new TenantScopedRepository(ProjectMemberEntity);
const projectNotFound = () => new TenancyException('project_not_found', 'Project not found');
const MEMBERSHIP_CACHE_TTL_MS = 500;

/** Project-level role assignments. The ability factory reads them per user through a ≤500 ms cache. */
@Injectable()
export class ProjectMembersService {
  private readonly cache = new TtlCache<string, ProjectRole[]>(MEMBERSHIP_CACHE_TTL_MS);

  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly bus: Invalidations,
    private readonly roles: RolesService,
  ) {
    bus.subscribe((i) => {
      if (i.kind === 'user') this.cache.deleteWhere((k) => k.endsWith(`:${i.id}`));
    });
  }

  /** A user's project roles (hot path: one round trip on a miss, cached ≤500 ms). */
  forUser(orgId: string, userId: string): Promise<ProjectRole[]> {
    return this.cache.get(`${orgId}:${userId}`, async () => {
      const rows = await this.db.readOrg<{ project_id: string; role: string }>(
        orgId,
        'SELECT project_id, role FROM project_member WHERE org_id = $1 AND user_id = $2',
        [orgId, userId],
      );
      return rows.map((r) => ({ projectId: r.project_id, role: r.role }));
    });
  }

  list(
    orgId: string,
    projectId: string,
    q: PageQueryDto,
    filter: MemberFilter,
  ): Promise<Page<ProjectMemberResponseDto>> {
    return this.db.withOrg(orgId, async (em) => {
      await this.projectOrFail(em, orgId, projectId);
      const page = await members.pageFiltered(em, { orgId, projectId }, filter, q, (m) => m);
      const users = page.items.length
        ? await em.getRepository(UserEntity).findBy({ orgId, id: In(page.items.map((r) => r.userId)) })
        : [];
      const byId = new Map(users.map((u) => [u.id, u]));
      return { ...page, items: page.items.map((m) => this.map(m, byId.get(m.userId)!)) };
    });
  }

  /** Creates or changes a user's role in a project. Emits `project_member.set`. */
  async set(
    orgId: string,
    projectId: string,
    userId: string,
    role: string,
    guard: MemberGuard,
  ): Promise<ProjectMemberResponseDto> {
    const out = await this.db.withOrg(orgId, async (em) => {
      await this.projectOrFail(em, orgId, projectId);
      const user = await this.userOrFail(em, orgId, userId);
      const resolved = await this.roles.assertAssignable(em, orgId, role, { project: true });
      const before = await em
        .getRepository(ProjectMemberEntity)
        .findOne({ where: { orgId, projectId, userId }, lock: { mode: 'pessimistic_write' } });
      await guard(user, before, resolved);
      if (user.status !== 'active') throw new IdentityException('user_deactivated', 'The user is deactivated');
      let row: ProjectMemberEntity;
      if (before) row = (await members.update(em, { orgId, id: before.id }, { role }))!;
      else row = await this.insert(em, orgId, projectId, userId, role);
      await this.bus.notify(em, { kind: 'user', id: userId });
      await this.events.publish(em, {
        action: 'project_member.set',
        orgId,
        resourceType: 'project_member',
        resourceId: row.id,
        metadata: { projectId, userId, before: before ? { role: before.role } : null, after: { role } },
      });
      return this.map(row, user);
    });
    this.bus.local({ kind: 'user', id: userId });
    return out;
  }

  /** Removes a user's project role (the org role applies again). Emits `project_member.removed`. */
  async remove(orgId: string, projectId: string, userId: string, guard: MemberGuard): Promise<void> {
    await this.db.withOrg(orgId, async (em) => {
      await this.projectOrFail(em, orgId, projectId);
      const user = await this.userOrFail(em, orgId, userId);
      const before = await em
        .getRepository(ProjectMemberEntity)
        .findOne({ where: { orgId, projectId, userId }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw new IdentityException('member_not_found', 'The user has no role in this project');
      await guard(user, before, null);
      await members.delete(em, { orgId, id: before.id });
      await this.bus.notify(em, { kind: 'user', id: userId });
      await this.events.publish(em, {
        action: 'project_member.removed',
        orgId,
        resourceType: 'project_member',
        resourceId: before.id,
        metadata: { projectId, userId, role: before.role },
      });
    });
    this.bus.local({ kind: 'user', id: userId });
  }

  private async insert(
    em: EntityManager,
    orgId: string,
    projectId: string,
    userId: string,
    role: string,
  ): Promise<ProjectMemberEntity> {
    const row = Object.assign(new ProjectMemberEntity(), { id: uuidv7(), orgId, projectId, userId, role });
    await members.insert(em, row);
    return (await members.findOne(em, { orgId, id: row.id }))!;
  }

  private async projectOrFail(em: EntityManager, orgId: string, projectId: string): Promise<void> {
    if (!UUID_RE.test(projectId) || !(await em.getRepository(ProjectEntity).existsBy({ orgId, id: projectId })))
      throw projectNotFound();
  }

  private async userOrFail(em: EntityManager, orgId: string, userId: string): Promise<UserEntity> {
    const user = UUID_RE.test(userId) ? await em.getRepository(UserEntity).findOneBy({ orgId, id: userId }) : null;
    if (!user) throw new IdentityException('user_not_found', 'User not found');
    return user;
  }

  private map(m: ProjectMemberEntity, u: UserEntity): ProjectMemberResponseDto {
    return {
      projectId: m.projectId,
      userId: m.userId,
      role: m.role,
      email: u.email,
      displayName: u.displayName,
      createdAt: m.createdAt.toISOString(),
      updatedAt: m.updatedAt.toISOString(),
    };
  }
}
