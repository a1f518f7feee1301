import { Injectable } from '@nestjs/common';
import type { Action, SubjectName } from '../../core/authz/ability.js';
import { RequestContextStore } from '../../core/context/request-context.js';
import type { Page, PageQueryDto } from '../../core/http/pagination.js';
import { accessibleWhere } from '../../core/http/policies.js';
import {
  BUILT_IN_ROLES,
  RolesService,
  isBuiltInRole,
  type BuiltInRole,
  type CreateRoleDto,
  type CustomRoleEntity,
  type PermissionSpec,
  type RoleResponseDto,
  type UpdateRoleDto,
} from '../identity/index.js';
import { GrantsService } from './grants.service.js';
import { ROLE_MATRIX } from './role-matrix.js';

const DESCRIPTIONS: Record<BuiltInRole, string> = {
  owner: 'Everything, including granting owner and acting on owners',
  admin: 'Everything in the org except granting owner or acting on owners',
  editor: 'Builds and runs flows and connections; manages only their own API keys',
  viewer: 'Reads projects, flows, runs, connections, users and roles',
};

/** The built-in role as the vocabulary of custom roles (one entry per action). */
export function builtInPermissions(role: BuiltInRole): PermissionSpec[] {
  return ROLE_MATRIX[role].flatMap(([actions, subject, conds]) =>
    [actions].flat().map((action: Action) => ({
      action,
      subject: subject as SubjectName,
      ...(conds ? { conditions: conds as PermissionSpec['conditions'] } : {}),
    })),
  );
}

/** The roles API: built-in roles (listed first, immutable) and the org's custom roles. */
@Injectable()
export class RolesAdminService {
  constructor(
    private readonly roles: RolesService,
    private readonly grants: GrantsService,
  ) {}

  /** Built-in roles lead the first page (not counted in `limit`); custom roles follow, newest first. */
  async list(q: PageQueryDto): Promise<Page<RoleResponseDto>> {
    const page = await this.roles.list(RequestContextStore.requireOrgId(), q, accessibleWhere('read', 'Role'));
    const builtIns = q.cursor ? [] : BUILT_IN_ROLES.map((r) => this.mapBuiltIn(r));
    return { items: [...builtIns, ...page.items.map((r) => this.map(r))], nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<RoleResponseDto> {
    if (isBuiltInRole(id)) return this.mapBuiltIn(id);
    return this.map(await this.roles.get(RequestContextStore.requireOrgId(), id));
  }

  async create(dto: CreateRoleDto): Promise<RoleResponseDto> {
    const orgId = RequestContextStore.requireOrgId();
    const row = await this.grants.audited('role', () =>
      this.roles.create(orgId, dto, (_b, perms) => this.grants.assertCanGrantPermissions(perms)),
    );
    return this.map(row);
  }

  async update(id: string, dto: UpdateRoleDto): Promise<RoleResponseDto> {
    const orgId = RequestContextStore.requireOrgId();
    const row = await this.grants.audited('role', () =>
      this.roles.update(orgId, id, dto, (_b, perms) => this.grants.assertCanGrantPermissions(perms)),
    );
    return this.map(row);
  }

  remove(id: string): Promise<void> {
    return this.roles.remove(RequestContextStore.requireOrgId(), id, () => undefined);
  }

  private mapBuiltIn(role: BuiltInRole): RoleResponseDto {
    return {
      id: role,
      name: role,
      description: DESCRIPTIONS[role],
      builtIn: true,
      permissions: builtInPermissions(role),
    };
  }

  private map(r: CustomRoleEntity): RoleResponseDto {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      builtIn: false,
      permissions: r.permissions,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }
}
