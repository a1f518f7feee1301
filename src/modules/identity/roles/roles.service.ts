import { Injectable } from '@nestjs/common';
import { In, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { UUID_RE, uuidv7 } from '../../../core/crypto/tokens.js';
import { Database } from '../../../core/database/database.js';
import { TenantScopedRepository } from '../../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import type { Page, PageQueryDto } from '../../../core/http/pagination.js';
import { ProjectEntity } from '../../tenancy/index.js';
import { IdentityException, isUniqueViolation } from '../identity.exception.js';
import { Invalidations } from '../invalidations.js';
import { TtlCache } from '../ttl-cache.js';
import { BUILT_IN_ROLES, PROJECT_BUILT_IN_ROLES, isBuiltInRole, type BuiltInRole } from './built-in-roles.js';
import { CustomRoleEntity, type PermissionSpec } from './custom-role.entity.js';
import { checkPermissions, referencedProjects } from './permission-vocabulary.js';

export type ResolvedRole =
  { kind: 'built_in'; name: BuiltInRole } | { kind: 'custom'; id: string; name: string; permissions: PermissionSpec[] };

export interface RoleInput {
  name?: string;
  description?: string | null;
  permissions?: PermissionSpec[];
}

/** Runs inside the write transaction before anything is written; throws to refuse (e.g. escalation checks). */
export type RoleGuard = (before: CustomRoleEntity | null, permissions: PermissionSpec[]) => void | Promise<void>;

const roles = new TenantScopedRepository(CustomRoleEntity);
const notFound = () => new IdentityException('role_not_found', 'Role not found');
const ROLE_CACHE_TTL_MS = 500;

/** Custom roles (validated permission lists) and role references (built-in name or custom role id). */
@Injectable()
export class RolesService {
  private readonly cache = new TtlCache<string, CustomRoleEntity | null>(ROLE_CACHE_TTL_MS);

  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly bus: Invalidations,
  ) {
    bus.subscribe((i) => {
      if (i.kind === 'role') this.cache.deleteWhere((k) => k.endsWith(`:${i.id}`));
    });
  }

  /** Resolves a role reference on the hot path (custom roles cached ≤500 ms). Null: no such role in the org. */
  async resolve(orgId: string, role: string): Promise<ResolvedRole | null> {
    if (isBuiltInRole(role)) return { kind: 'built_in', name: role };
    if (!UUID_RE.test(role)) return null;
    const row = await this.cache.get(`${orgId}:${role}`, async () => {
      const [r] = await this.db.readOrg<{ id: string; name: string; permissions: PermissionSpec[] }>(
        orgId,
        'SELECT id, name, permissions FROM custom_role WHERE org_id = $1 AND id = $2',
        [orgId, role],
      );
      return r ? Object.assign(new CustomRoleEntity(), { ...r, orgId }) : null;
    });
    return row ? { kind: 'custom', id: row.id, name: row.name, permissions: row.permissions } : null;
  }

  /** Resolves against the transaction's current state (writes never trust a cache). */
  async resolveInTx(em: EntityManager, orgId: string, role: string): Promise<ResolvedRole | null> {
    if (isBuiltInRole(role)) return { kind: 'built_in', name: role };
    if (!UUID_RE.test(role)) return null;
    const row = await roles.findOne(em, { orgId, id: role });
    return row ? { kind: 'custom', id: row.id, name: row.name, permissions: row.permissions } : null;
  }

  /** The role a user, key or project assignment may carry; project assignments cannot be `owner`. */
  async assertAssignable(
    em: EntityManager,
    orgId: string,
    role: string,
    opts: { project?: boolean } = {},
  ): Promise<ResolvedRole> {
    const resolved = await this.resolveInTx(em, orgId, role);
    const allowed = opts.project ? PROJECT_BUILT_IN_ROLES.join(', ') : BUILT_IN_ROLES.join(', ');
    if (!resolved || (opts.project && resolved.kind === 'built_in' && resolved.name === 'owner')) {
      throw new IdentityException('unknown_role', `Unknown role "${role}": use ${allowed} or a custom role id`, {
        errors: [{ path: 'role', message: 'unknown role' }],
      });
    }
    return resolved;
  }

  list(orgId: string, q: PageQueryDto, filter?: FindOptionsWhere<CustomRoleEntity>[]): Promise<Page<CustomRoleEntity>> {
    return this.db.withOrg(orgId, (em) => roles.pageFiltered(em, { orgId }, filter, q, (r) => r));
  }

  get(orgId: string, id: string): Promise<CustomRoleEntity> {
    if (!UUID_RE.test(id)) return Promise.reject(notFound());
    return this.db.withOrg(orgId, async (em) => (await roles.findOne(em, { orgId, id })) ?? Promise.reject(notFound()));
  }

  create(
    orgId: string,
    input: Required<Pick<RoleInput, 'name' | 'permissions'>> & RoleInput,
    guard: RoleGuard,
  ): Promise<CustomRoleEntity> {
    return this.db.withOrg(orgId, async (em) => {
      await this.validate(em, orgId, input.name, input.permissions);
      await guard(null, input.permissions);
      const row = Object.assign(new CustomRoleEntity(), {
        id: uuidv7(),
        orgId,
        name: input.name,
        description: input.description ?? null,
        permissions: normalize(input.permissions),
      });
      await this.insertOrConflict(em, row);
      await this.events.publish(em, {
        action: 'role.created',
        orgId,
        resourceType: 'role',
        resourceId: row.id,
        metadata: { name: row.name, permissions: row.permissions },
      });
      return (await roles.findOne(em, { orgId, id: row.id }))!;
    });
  }

  async update(orgId: string, id: string, input: RoleInput, guard: RoleGuard): Promise<CustomRoleEntity> {
    if (!UUID_RE.test(id)) throw isBuiltInRole(id) ? immutable() : notFound();
    const after = await this.db.withOrg(orgId, async (em) => {
      const before = await em
        .getRepository(CustomRoleEntity)
        .findOne({ where: { orgId, id }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw notFound();
      const permissions = input.permissions ? normalize(input.permissions) : before.permissions;
      await this.validate(em, orgId, input.name, input.permissions);
      await guard(before, permissions);
      const patch: Partial<CustomRoleEntity> = { permissions };
      if (input.name !== undefined) patch.name = input.name;
      if (input.description !== undefined) patch.description = input.description;
      const saved = await this.updateOrConflict(em, orgId, id, patch);
      await this.bus.notify(em, { kind: 'role', id });
      await this.events.publish(em, {
        action: 'role.updated',
        orgId,
        resourceType: 'role',
        resourceId: id,
        metadata: { before: summary(before), after: summary(saved) },
      });
      return saved;
    });
    this.bus.local({ kind: 'role', id });
    return after;
  }

  async remove(orgId: string, id: string, guard: RoleGuard): Promise<void> {
    if (!UUID_RE.test(id)) throw isBuiltInRole(id) ? immutable() : notFound();
    await this.db.withOrg(orgId, async (em) => {
      const before = await em
        .getRepository(CustomRoleEntity)
        .findOne({ where: { orgId, id }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw notFound();
      await guard(before, []);
      const [{ n }] = (await em.query(
        `SELECT (SELECT count(*) FROM app_user WHERE org_id = $1 AND role = $2 AND status = 'active')
              + (SELECT count(*) FROM api_key WHERE org_id = $1 AND role = $2 AND revoked_at IS NULL)
              + (SELECT count(*) FROM project_member WHERE org_id = $1 AND role = $2) AS n`,
        [orgId, id],
      )) as { n: string }[];
      if (Number(n) > 0)
        throw new IdentityException(
          'role_in_use',
          'The role is held by users, API keys or project members; reassign them first',
        );
      await roles.delete(em, { orgId, id });
      await this.bus.notify(em, { kind: 'role', id });
      await this.events.publish(em, {
        action: 'role.deleted',
        orgId,
        resourceType: 'role',
        resourceId: id,
        metadata: { name: before.name },
      });
    });
    this.bus.local({ kind: 'role', id });
  }

  private async validate(
    em: EntityManager,
    orgId: string,
    name: string | undefined,
    perms: PermissionSpec[] | undefined,
  ): Promise<void> {
    if (name !== undefined && isBuiltInRole(name.toLowerCase())) {
      throw new IdentityException('role_name_taken', `"${name}" is a built-in role name`);
    }
    if (!perms) return;
    const errors = checkPermissions(perms);
    const projectIds = errors.length ? [] : referencedProjects(perms);
    if (projectIds.length) {
      const found = await em.getRepository(ProjectEntity).countBy({ orgId, id: In(projectIds) });
      if (found !== projectIds.length)
        errors.push({ path: 'permissions', message: 'conditions name a project that does not exist' });
    }
    if (errors.length) throw new IdentityException('invalid_permission', 'The permissions are not valid', { errors });
  }

  private async insertOrConflict(em: EntityManager, row: CustomRoleEntity): Promise<void> {
    try {
      await roles.insert(em, row);
    } catch (e) {
      if (isUniqueViolation(e)) throw new IdentityException('role_name_taken', `A role named "${row.name}" exists`);
      throw e;
    }
  }

  private async updateOrConflict(
    em: EntityManager,
    orgId: string,
    id: string,
    patch: Partial<CustomRoleEntity>,
  ): Promise<CustomRoleEntity> {
    try {
      return (await roles.update(em, { orgId, id }, patch))!;
    } catch (e) {
      if (isUniqueViolation(e)) throw new IdentityException('role_name_taken', `A role named "${patch.name}" exists`);
      throw e;
    }
  }
}

const immutable = () => new IdentityException('role_immutable', 'Built-in roles cannot be changed or deleted');

/** Stored form: conditions only when present, project ids lower-case. */
function normalize(perms: PermissionSpec[]): PermissionSpec[] {
  return perms.map((p) => {
    const out: PermissionSpec = { action: p.action, subject: p.subject };
    if (p.conditions && Object.keys(p.conditions).length) {
      const c: PermissionSpec['conditions'] = {};
      if (p.conditions.projectId !== undefined) {
        c.projectId = Array.isArray(p.conditions.projectId)
          ? p.conditions.projectId.map((s) => s.toLowerCase())
          : p.conditions.projectId.toLowerCase();
      }
      if (p.conditions.ownerUserId !== undefined) c.ownerUserId = p.conditions.ownerUserId;
      out.conditions = c;
    }
    return out;
  });
}

const summary = (r: CustomRoleEntity) => ({ name: r.name, description: r.description, permissions: r.permissions });
