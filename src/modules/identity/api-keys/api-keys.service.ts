import { Injectable } from '@nestjs/common';
import type { EntityManager, FindOptionsWhere } from 'typeorm';
import { UUID_RE, uuidv7 } from '../../../core/crypto/tokens.js';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { TenantScopedRepository } from '../../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import type { Page, PageQueryDto } from '../../../core/http/pagination.js';
import { CredentialsService } from '../credentials.service.js';
import { IdentityException } from '../identity.exception.js';
import { Invalidations } from '../invalidations.js';
import { displayPrefix, mintKey, remintSecret } from '../key-format.js';
import type { ApiKeyResponseDto } from './api-key.dto.js';
import { ApiKeyEntity } from './api-key.entity.js';

export interface NewApiKey {
  orgId: string;
  name: string;
  role: string;
  projectId?: string | null;
  scopes?: string[] | null;
  expiresAt?: Date | null;
  createdByType: 'user' | 'api_key' | 'platform' | 'system';
  createdById?: string | null;
  /** The user whose current rights bound the key (null: an org root key made by the platform or a root key). */
  ownerUserId?: string | null;
}

/** Runs inside the write transaction with the key row locked; throws to refuse. */
export type ApiKeyGuard = (key: ApiKeyEntity) => void | Promise<void>;
export type ApiKeyFilter = FindOptionsWhere<ApiKeyEntity>[] | undefined;

const keys = new TenantScopedRepository(ApiKeyEntity);
const notFound = () => new IdentityException('api_key_not_found', 'API key not found');

/**
 * API keys: created with the secret shown once, listed without it, rotated (optional grace for the old secret)
 * and revoked. Every change to a key's validity NOTIFYs all instances inside its transaction and is forgotten
 * locally after commit, so it is effective everywhere within the credential cache's 500 ms.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly bus: Invalidations,
    private readonly credentials: CredentialsService,
    private readonly config: AppConfig,
  ) {}

  /** Inserts a key inside the caller's transaction and returns the full credential (shown once). */
  async insert(em: EntityManager, input: NewApiKey): Promise<{ entity: ApiKeyEntity; key: string }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw new IdentityException('invalid_expiry', 'expiresAt must be in the future', {
        errors: [{ path: 'expiresAt', message: 'must be in the future' }],
      });
    }
    await this.assertBelowCap(em, input.orgId);
    const minted = mintKey('tfk');
    const entity = Object.assign(new ApiKeyEntity(), {
      id: uuidv7(),
      orgId: input.orgId,
      publicId: minted.publicId,
      secretHash: minted.secretHash,
      previousSecretHash: null,
      previousValidUntil: null,
      name: input.name,
      role: input.role,
      projectId: input.projectId ?? null,
      scopes: input.scopes ?? null,
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
      createdByType: input.createdByType,
      createdById: input.createdById ?? null,
      ownerUserId: input.ownerUserId ?? null,
      lastUsedAt: null,
    });
    await em.getRepository(ApiKeyEntity).insert(entity);
    await this.events.publish(em, {
      action: 'api_key.created',
      orgId: input.orgId,
      resourceType: 'api_key',
      resourceId: entity.id,
      metadata: {
        name: input.name,
        role: input.role,
        projectId: entity.projectId,
        scopes: entity.scopes,
        prefix: displayPrefix('tfk', minted.publicId),
        expiresAt: entity.expiresAt?.toISOString() ?? null,
      },
    });
    const saved = (await keys.findOne(em, { orgId: input.orgId, id: entity.id }))!;
    return { entity: saved, key: minted.key };
  }

  /**
   * A compromised admin key must not mint thousands of keys: active keys per org are capped. Serialised per org (an
   * advisory lock held to the end of the transaction) so concurrent creations cannot both take the last place.
   */
  private async assertBelowCap(em: EntityManager, orgId: string): Promise<void> {
    const cap = this.config.get('TENANTFLOW_API_KEYS_PER_ORG');
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('api_key_cap:' || $1, 0))`, [orgId]);
    const [{ n }] = (await em.query(
      `SELECT count(*)::int AS n FROM api_key WHERE org_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [orgId],
    )) as { n: number }[];
    if (n >= cap) {
      throw new IdentityException(
        'api_key_limit_reached',
        `This organization has ${cap} active API keys, the most allowed; revoke one first`,
      );
    }
  }

  list(orgId: string, q: PageQueryDto, filter: ApiKeyFilter): Promise<Page<ApiKeyResponseDto>> {
    return this.db.withOrg(orgId, (em) => keys.pageFiltered(em, { orgId }, filter, q, (k) => this.map(k)));
  }

  get(orgId: string, id: string): Promise<ApiKeyEntity> {
    if (!UUID_RE.test(id)) return Promise.reject(notFound());
    return this.db.withOrg(orgId, async (em) => (await keys.findOne(em, { orgId, id })) ?? Promise.reject(notFound()));
  }

  rename(orgId: string, id: string, name: string, guard: ApiKeyGuard): Promise<ApiKeyEntity> {
    return this.db.withOrg(orgId, async (em) => {
      const before = await this.lockedOrFail(em, orgId, id);
      await guard(before);
      const after = (await keys.update(em, { orgId, id }, { name }))!;
      await this.events.publish(em, {
        action: 'api_key.updated',
        orgId,
        resourceType: 'api_key',
        resourceId: id,
        metadata: { before: { name: before.name }, after: { name } },
      });
      return after;
    });
  }

  /**
   * A new secret for the same key. The old secret keeps working for `graceSeconds` (0: stops now). A second
   * rotation replaces the remembered old secret. Emits `api_key.rotated`.
   */
  async rotate(
    orgId: string,
    id: string,
    graceSeconds: number,
    guard: ApiKeyGuard,
  ): Promise<{ entity: ApiKeyEntity; key: string }> {
    const out = await this.db.withOrg(orgId, async (em) => {
      const before = await this.lockedOrFail(em, orgId, id);
      await guard(before);
      if (before.revokedAt) throw new IdentityException('api_key_revoked', 'The key is revoked');
      if (before.expiresAt && before.expiresAt.getTime() <= Date.now())
        throw new IdentityException('api_key_revoked', 'The key has expired');
      const minted = remintSecret('tfk', before.publicId);
      const validUntil = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
      const entity = (await keys.update(
        em,
        { orgId, id },
        {
          secretHash: minted.secretHash,
          previousSecretHash: validUntil ? before.secretHash : null,
          previousValidUntil: validUntil,
        },
      ))!;
      await this.bus.notify(em, { kind: 'credential', publicId: before.publicId });
      await this.events.publish(em, {
        action: 'api_key.rotated',
        orgId,
        resourceType: 'api_key',
        resourceId: id,
        metadata: {
          prefix: displayPrefix('tfk', before.publicId),
          gracePeriodSeconds: graceSeconds,
          previousValidUntil: validUntil?.toISOString() ?? null,
        },
      });
      return { entity, key: minted.key };
    });
    this.credentials.forget(out.entity.publicId);
    return out;
  }

  /** Revokes a key and every key it created (transitively). Idempotent. Emits `api_key.revoked` per key. */
  async revoke(orgId: string, id: string, guard: ApiKeyGuard): Promise<void> {
    const revoked = await this.db.withOrg(orgId, async (em) => {
      const before = await this.lockedOrFail(em, orgId, id);
      await guard(before);
      return this.revokeTreeInTx(em, orgId, [id], 'revoked');
    });
    for (const r of revoked) this.credentials.forget(r.publicId);
  }

  /** Revokes every key on a user's authority, and what those keys created (deactivation). */
  async revokeOwnedByUserInTx(
    em: EntityManager,
    orgId: string,
    userId: string,
    reason: string,
  ): Promise<{ id: string; publicId: string }[]> {
    const rows = (await em.query(
      `SELECT id FROM api_key WHERE org_id = $1 AND owner_user_id = $2 AND revoked_at IS NULL`,
      [orgId, userId],
    )) as { id: string }[];
    return rows.length
      ? this.revokeTreeInTx(
          em,
          orgId,
          rows.map((r) => r.id),
          reason,
        )
      : [];
  }

  private async revokeTreeInTx(
    em: EntityManager,
    orgId: string,
    rootIds: string[],
    reason: string,
  ): Promise<{ id: string; publicId: string }[]> {
    const [rows] = (await em.query(
      `WITH RECURSIVE tree AS (
         SELECT id FROM api_key WHERE org_id = $1 AND id = ANY($2::uuid[])
         UNION SELECT k.id FROM api_key k JOIN tree t ON k.created_by_type = 'api_key' AND k.created_by_id = t.id WHERE k.org_id = $1)
       UPDATE api_key SET revoked_at = now() WHERE org_id = $1 AND id IN (SELECT id FROM tree) AND revoked_at IS NULL
       RETURNING id, public_id`,
      [orgId, rootIds],
    )) as [{ id: string; public_id: string }[], number];
    for (const r of rows) {
      await this.bus.notify(em, { kind: 'credential', publicId: r.public_id });
      await this.events.publish(em, {
        action: 'api_key.revoked',
        orgId,
        resourceType: 'api_key',
        resourceId: r.id,
        metadata: {
          prefix: displayPrefix('tfk', r.public_id),
          reason: rootIds.includes(r.id) ? reason : 'created_by_revoked_key',
        },
      });
    }
    return rows.map((r) => ({ id: r.id, publicId: r.public_id }));
  }

  map(k: ApiKeyEntity): ApiKeyResponseDto {
    const now = Date.now();
    const pending = this.credentials.pendingLastUsed(k.publicId);
    const lastUsed = pending && (!k.lastUsedAt || pending > k.lastUsedAt) ? pending : k.lastUsedAt;
    const graceOpen = k.previousValidUntil && k.previousValidUntil.getTime() > now ? k.previousValidUntil : null;
    return {
      id: k.id,
      name: k.name,
      prefix: displayPrefix('tfk', k.publicId),
      role: k.role,
      projectId: k.projectId,
      scopes: k.scopes,
      expiresAt: k.expiresAt?.toISOString() ?? null,
      createdBy: { type: k.createdByType, id: k.createdById },
      ownerUserId: k.ownerUserId,
      createdAt: k.createdAt.toISOString(),
      lastUsedAt: lastUsed?.toISOString() ?? null,
      revokedAt: k.revokedAt?.toISOString() ?? null,
      previousSecretValidUntil: graceOpen?.toISOString() ?? null,
      status: k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt.getTime() <= now ? 'expired' : 'active',
    };
  }

  private async lockedOrFail(em: EntityManager, orgId: string, id: string): Promise<ApiKeyEntity> {
    if (!UUID_RE.test(id)) throw notFound();
    const row = await em
      .getRepository(ApiKeyEntity)
      .findOne({ where: { orgId, id }, lock: { mode: 'pessimistic_write' } });
    if (!row) throw notFound();
    return row;
  }
}
