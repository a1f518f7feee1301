import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager, FindOptionsWhere } from 'typeorm';
import { UUID_RE, uuidv7 } from '../../../core/crypto/tokens.js';
import { Database } from '../../../core/database/database.js';
import { TenantScopedRepository } from '../../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import type { Page, PageQueryDto } from '../../../core/http/pagination.js';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import { IdentityException, isUniqueViolation } from '../identity.exception.js';
import { Invalidations } from '../invalidations.js';
import { RolesService } from '../roles/roles.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { normalizeEmail, type UserResponseDto } from './user.dto.js';
import { UserEntity } from './user.entity.js';

const users = new TenantScopedRepository(UserEntity);
const notFound = () => new IdentityException('user_not_found', 'User not found');

/** Runs inside the write transaction with the target row locked; throws to refuse (escalation checks). */
export type UserGuard = (current: UserEntity) => void | Promise<void>;
export type UserFilter = FindOptionsWhere<UserEntity>[] | undefined;

export interface NewUser {
  orgId: string;
  email: string;
  displayName?: string | null;
  role: string;
}

/**
 * Users of an org. Emails are stored trimmed and lower-cased and matched exactly in that form. A user is never
 * deleted: deactivation revokes their sessions and every API key on their authority (see docs/identity.md).
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly bus: Invalidations,
    private readonly roles: RolesService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** Creates a user in the caller's transaction (SSO provisioning, the users API); emits `user.created`. */
  async createInTx(em: EntityManager, input: NewUser): Promise<UserEntity> {
    await this.roles.assertAssignable(em, input.orgId, input.role);
    const row = Object.assign(new UserEntity(), {
      id: uuidv7(),
      orgId: input.orgId,
      email: normalizeEmail(input.email),
      displayName: input.displayName ?? null,
      role: input.role,
      status: 'active' as const,
    });
    try {
      await em.query('SAVEPOINT user_insert');
      await users.insert(em, row);
      await em.query('RELEASE SAVEPOINT user_insert');
    } catch (e) {
      await em.query('ROLLBACK TO SAVEPOINT user_insert');
      if (isUniqueViolation(e))
        throw new IdentityException('user_exists', 'A user with this email exists in the organization');
      throw e;
    }
    await this.events.publish(em, {
      action: 'user.created',
      orgId: input.orgId,
      resourceType: 'user',
      resourceId: row.id,
      metadata: { email: row.email, role: row.role, displayName: row.displayName },
    });
    return (await users.findOne(em, { orgId: input.orgId, id: row.id }))!;
  }

  /** Changes a user's org role in the caller's transaction (SSO role mappings, the users API); emits `user.updated`. */
  async setRoleInTx(em: EntityManager, orgId: string, userId: string, role: string): Promise<UserEntity> {
    const before = await this.lockedOrFail(em, orgId, userId);
    if (before.role === role) return before;
    await this.roles.assertAssignable(em, orgId, role);
    const after = (await users.update(em, { orgId, id: userId }, { role }))!;
    await this.bus.notify(em, { kind: 'user', id: userId });
    await this.events.publish(em, {
      action: 'user.updated',
      orgId,
      resourceType: 'user',
      resourceId: userId,
      metadata: { before: { role: before.role }, after: { role: after.role } },
    });
    return after;
  }

  /** Exact match on the normalized (trimmed, lower-case) email; no pattern matching. */
  findByEmail(em: EntityManager, orgId: string, email: string): Promise<UserEntity | null> {
    return users.findOne(em, { orgId, email: normalizeEmail(email) });
  }

  findByIdInTx(em: EntityManager, orgId: string, id: string): Promise<UserEntity | null> {
    return UUID_RE.test(id) ? users.findOne(em, { orgId, id }) : Promise.resolve(null);
  }

  list(orgId: string, q: PageQueryDto, filter: UserFilter): Promise<Page<UserResponseDto>> {
    return this.db.withOrg(orgId, (em) => users.pageFiltered(em, { orgId }, filter, q, (u) => this.map(u)));
  }

  get(orgId: string, id: string): Promise<UserEntity> {
    return this.db.withOrg(orgId, async (em) => (await this.findByIdInTx(em, orgId, id)) ?? Promise.reject(notFound()));
  }

  create(input: NewUser, guard: (role: string) => void | Promise<void>): Promise<UserEntity> {
    return this.db.withOrg(input.orgId, async (em) => {
      await guard(input.role);
      return this.createInTx(em, input);
    });
  }

  async update(
    orgId: string,
    id: string,
    patch: { role?: string; displayName?: string | null },
    guard: UserGuard,
  ): Promise<UserEntity> {
    const after = await this.db.withOrg(orgId, async (em) => {
      const before = await this.lockedOrFail(em, orgId, id);
      await guard(before);
      if (patch.role !== undefined && patch.role !== before.role) await this.assertNotLastOwner(em, before);
      let current = before;
      if (patch.role !== undefined && patch.role !== before.role)
        current = await this.setRoleInTx(em, orgId, id, patch.role);
      if (patch.displayName !== undefined && patch.displayName !== current.displayName) {
        current = (await users.update(em, { orgId, id }, { displayName: patch.displayName }))!;
        await this.events.publish(em, {
          action: 'user.updated',
          orgId,
          resourceType: 'user',
          resourceId: id,
          metadata: { before: { displayName: before.displayName }, after: { displayName: current.displayName } },
        });
      }
      return current;
    });
    this.bus.local({ kind: 'user', id });
    return after;
  }

  /**
   * Deactivates a user: status `deactivated`, every session revoked, every API key on their authority revoked
   * (with the keys those keys created). Idempotent. Emits `user.deactivated` and one `api_key.revoked` per key.
   */
  async deactivate(orgId: string, id: string, guard: UserGuard): Promise<void> {
    const changed = await this.db.withOrg(orgId, async (em) => {
      const before = await this.lockedOrFail(em, orgId, id);
      if (before.status === 'deactivated') return false;
      await guard(before);
      await this.assertNotLastOwner(em, before);
      await users.update(em, { orgId, id }, { status: 'deactivated' });
      const sessions = await this.sessions.revokeForUserInTx(em, orgId, id);
      const keys = await this.apiKeys.revokeOwnedByUserInTx(em, orgId, id, 'user_deactivated');
      await this.bus.notify(em, { kind: 'user', id });
      await this.events.publish(em, {
        action: 'user.deactivated',
        orgId,
        resourceType: 'user',
        resourceId: id,
        metadata: { email: before.email, sessionsRevoked: sessions, apiKeysRevoked: keys.length },
      });
      return true;
    });
    if (changed) this.bus.local({ kind: 'user', id });
  }

  map(u: UserEntity): UserResponseDto {
    return {
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      role: u.role,
      status: u.status,
      createdAt: u.createdAt.toISOString(),
      updatedAt: u.updatedAt.toISOString(),
    };
  }

  private async lockedOrFail(em: EntityManager, orgId: string, id: string): Promise<UserEntity> {
    if (!UUID_RE.test(id)) throw notFound();
    const row = await em
      .getRepository(UserEntity)
      .findOne({ where: { orgId, id }, lock: { mode: 'pessimistic_write' } });
    if (!row) throw notFound();
    return row;
  }

  /** An org keeps at least one active owner user once it has one (no lock-out by demotion or deactivation). */
  private async assertNotLastOwner(em: EntityManager, user: UserEntity): Promise<void> {
    if (user.role !== 'owner' || user.status !== 'active') return;
    // Serializes owner changes per org, so two concurrent demotions cannot both see "another owner remains".
    await em.query(`SELECT pg_advisory_xact_lock(hashtext('tenantflow:owners:' || $1))`, [user.orgId]);
    const [{ n }] = (await em.query(
      `SELECT count(*)::int AS n FROM app_user WHERE org_id = $1 AND role = 'owner' AND status = 'active' AND id <> $2`,
      [user.orgId, user.id],
    )) as { n: number }[];
    if (n === 0) throw new IdentityException('last_owner', 'This is the last active owner of the organization');
  }

  /**
   * The external user an embed token's `sub` names, created on first use inside the caller's transaction. It is
   * keyed by subject only and gets an address in the reserved `.invalid` domain, so no SSO sign-in (which matches
   * by e-mail) can ever reach it. Org role `viewer`: its embedded sessions carry their own project role.
   */
  async provisionExternal(em: EntityManager, orgId: string, subject: string): Promise<{ id: string; status: string }> {
    const find = async () =>
      (
        (await em.query(`SELECT id, status FROM app_user WHERE org_id = $1 AND external_subject = $2`, [
          orgId,
          subject,
        ])) as { id: string; status: string }[]
      )[0];
    const found = await find();
    if (found) return found;
    const id = uuidv7();
    const email = `external-${createHash('sha256').update(subject).digest('hex').slice(0, 32)}@embed.invalid`;
    const rows = (await em.query(
      `INSERT INTO app_user (id, org_id, email, display_name, role, status, external_subject) VALUES ($1, $2, $3, $4, 'viewer', 'active', $5)
       ON CONFLICT DO NOTHING RETURNING id`,
      [id, orgId, email, subject.slice(0, 200), subject],
    )) as { id: string }[];
    if (!rows.length) return (await find())!;
    await this.events.publish(em, {
      action: 'user.created',
      orgId,
      resourceType: 'user',
      resourceId: id,
      metadata: { role: 'viewer', external: true },
    });
    return { id, status: 'active' };
  }
}
