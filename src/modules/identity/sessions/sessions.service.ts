import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../../core/config/app-config.js';
import { uuidv7 } from '../../../core/crypto/tokens.js';
import { Database } from '../../../core/database/database.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { IdentityException } from '../identity.exception.js';
import { Invalidations } from '../invalidations.js';
import { csrfTokenFor, mintKey, parseKey } from '../key-format.js';
import { UserEntity } from '../users/user.entity.js';
import { SessionEntity, type SessionMethod } from './session.entity.js';

export interface OpenSessionInput {
  orgId: string;
  userId: string;
  method: SessionMethod;
  ip?: string;
  userAgent?: string;
}

export interface OpenedSession {
  /** The cookie value (`tfs_…`); shown once, only its hash is stored. */
  token: string;
  /** The value unsafe requests must send as `X-CSRF-Token`. */
  csrfToken: string;
  /** Absolute expiry; the session also ends after the idle timeout without use. */
  expiresAt: Date;
}

/**
 * Server-side browser sessions: a hashed record per session (org-scoped, row-level security), an absolute
 * lifetime (`TENANTFLOW_SESSION_TTL`) and an idle timeout (`TENANTFLOW_SESSION_IDLE_TIMEOUT`). Sign-in flows
 * (SSO, embed) call {@link open}; verification is in `CredentialsService.authenticateSession`.
 */
@Injectable()
export class SessionsService {
  private readonly ttlMs: number;

  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly bus: Invalidations,
    config: AppConfig,
  ) {
    this.ttlMs = config.get('TENANTFLOW_SESSION_TTL');
  }

  /**
   * Opens a session for an active user (joins the caller's transaction for the same org, if one is open).
   * Does not emit `auth.login`: the sign-in flow that authenticated the user emits it, with its own details.
   */
  open(input: OpenSessionInput): Promise<OpenedSession> {
    return this.db.withOrg(input.orgId, async (em) => {
      const user = await em.getRepository(UserEntity).findOneBy({ orgId: input.orgId, id: input.userId });
      if (!user) throw new IdentityException('user_not_found', 'User not found');
      if (user.status !== 'active') throw new IdentityException('user_deactivated', 'The user is deactivated');
      const minted = mintKey('tfs');
      const now = new Date();
      const expiresAt = new Date(now.getTime() + this.ttlMs);
      await em.getRepository(SessionEntity).insert({
        id: uuidv7(),
        orgId: input.orgId,
        userId: input.userId,
        publicId: minted.publicId,
        secretHash: minted.secretHash,
        method: input.method,
        ip: input.ip?.slice(0, 100) ?? null,
        userAgent: input.userAgent?.slice(0, 500) ?? null,
        lastSeenAt: now,
        expiresAt,
        revokedAt: null,
      });
      return { token: minted.key, csrfToken: csrfTokenFor(minted.key), expiresAt };
    });
  }

  /**
   * Opens an embedded session (`tfe_`, a bearer token) for an external user inside one project, in the caller's
   * transaction. The token is shown once; only its hash is stored.
   */
  async openEmbedded(
    em: EntityManager,
    input: { orgId: string; userId: string; projectId: string; role: 'editor' | 'viewer'; ttlMs: number; ip?: string },
  ): Promise<{ token: string; expiresAt: Date; sessionId: string }> {
    const minted = mintKey('tfe');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + input.ttlMs);
    const id = uuidv7();
    await em.query(
      `INSERT INTO app_session (id, org_id, user_id, public_id, secret_hash, method, ip, last_seen_at, expires_at, project_id, embed_role)
       VALUES ($1, $2, $3, $4, $5, 'embed', $6, $7, $8, $9, $10)`,
      [
        id,
        input.orgId,
        input.userId,
        minted.publicId,
        minted.secretHash,
        input.ip?.slice(0, 100) ?? null,
        now,
        expiresAt,
        input.projectId,
        input.role,
      ],
    );
    return { token: minted.key, expiresAt, sessionId: id };
  }

  /** Ends every open session of a user (deactivation, sign-out everywhere). Returns how many. */
  async revokeForUser(orgId: string, userId: string): Promise<number> {
    const n = await this.db.withOrg(orgId, (em) => this.revokeForUserInTx(em, orgId, userId));
    this.bus.local({ kind: 'user', id: userId });
    return n;
  }

  async revokeForUserInTx(em: EntityManager, orgId: string, userId: string): Promise<number> {
    const rows = (await em.query(
      `UPDATE app_session SET revoked_at = now() WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING public_id`,
      [orgId, userId],
    )) as [{ public_id: string }[], number];
    await this.bus.notify(em, { kind: 'user', id: userId });
    return rows[1];
  }

  /** Logout: ends the session named by the cookie value (or an embedded session's bearer token), in the caller's org. Emits `auth.logout`. */
  async revokeByToken(orgId: string, token: string): Promise<boolean> {
    const parsed = parseKey(token);
    if (!parsed || (parsed.kind !== 'tfs' && parsed.kind !== 'tfe')) return false;
    const done = await this.db.withOrg(orgId, async (em) => {
      const rows = (await em.query(
        `UPDATE app_session SET revoked_at = now() WHERE org_id = $1 AND public_id = $2 AND revoked_at IS NULL RETURNING id, user_id`,
        [orgId, parsed.publicId],
      )) as [{ id: string; user_id: string }[], number];
      const row = rows[0][0];
      if (!row) return false;
      await this.bus.notify(em, { kind: 'credential', publicId: parsed.publicId });
      await this.events.publish(em, {
        action: 'auth.logout',
        orgId,
        resourceType: 'session',
        resourceId: row.id,
        metadata: { userId: row.user_id },
      });
      return true;
    });
    this.bus.local({ kind: 'credential', publicId: parsed.publicId });
    return done;
  }
}
