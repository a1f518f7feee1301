import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../core/config/app-config.js';
import type { Principal } from '../../core/context/request-context.js';
import { safeEqual } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { LOGGER } from '../../core/logging/logger.js';
import {
  loadCredential,
  recordLastUsed,
  touchSession,
  type CredentialRecord,
  type KeyRecord,
  type SessionRecord,
} from './credential-records.js';
import { Invalidations, type Invalidation } from './invalidations.js';
import { csrfTokenFor, parseKey, type KeyKind } from './key-format.js';
import { TtlCache } from './ttl-cache.js';

/** Cache lifetime of a credential lookup: revocation reaches every instance within this, NOTIFY or not. */
export const CREDENTIAL_CACHE_TTL_MS = 500;
const LAST_USED_FLUSH_MS = 10_000;

export type AuthFailureReason =
  | 'malformed'
  | 'unknown'
  | 'bad_secret'
  | 'revoked'
  | 'expired'
  | 'idle'
  | 'org_suspended'
  | 'user_inactive'
  | 'creator_inactive'
  | 'creator_rights';
export type AuthFailure = { reason: AuthFailureReason; orgId?: string; keyId?: string; sessionId?: string };

/** The user whose current rights bound an API key (see docs/identity.md "Keys never outgrow their creator"). */
export interface KeyAuthority {
  userId: string;
  role: string;
}

/**
 * What an embedded session may do, at most (its role and project narrow further): its project's flows, drafts,
 * versions, runs and connections. Nothing of the org: users, keys, roles, SSO, audit, plugins, providers, embed keys.
 */
export const EMBED_SCOPES = ['project:read', 'flow:manage', 'run:manage', 'connection:manage'] as const;

export type AuthResult = { ok: true; principal: Principal; authority?: KeyAuthority } | ({ ok: false } & AuthFailure);

/**
 * Verifies API keys, platform keys and session cookies. Lookups by public id are cached for
 * {@link CREDENTIAL_CACHE_TTL_MS} and invalidated across instances by NOTIFY; key last-used times are batched in
 * memory and flushed, and session activity is written at most once per touch interval, never per request.
 */
@Injectable()
export class CredentialsService implements OnModuleDestroy {
  private readonly cache = new TtlCache<string, CredentialRecord | null>(CREDENTIAL_CACHE_TTL_MS);
  private readonly lastUsed = new Map<string, { kind: 'tfk' | 'tfp'; at: Date }>();
  private flushTimer?: NodeJS.Timeout;
  private readonly idleMs: number;
  private readonly touchMs: number;

  constructor(
    private readonly db: Database,
    private readonly bus: Invalidations,
    config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.idleMs = config.get('TENANTFLOW_SESSION_IDLE_TIMEOUT');
    this.touchMs = Math.min(60_000, Math.floor(this.idleMs / 4));
    bus.subscribe((i) => this.onInvalidation(i));
  }

  async start(): Promise<void> {
    this.flushTimer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed();
  }

  /** Drops a cached credential here; other instances learn it from the NOTIFY sent in the changing transaction. */
  forget(publicId: string): void {
    this.cache.delete(publicId);
  }

  /** The last use this instance saw and has not flushed yet (lists show it without waiting for the flush). */
  pendingLastUsed(publicId: string): Date | undefined {
    return this.lastUsed.get(publicId)?.at;
  }

  /** Bearer credentials (`tfk_`, `tfp_`, `tfe_`). Browser session tokens are refused here: only the cookie carries them. */
  async authenticate(raw: string): Promise<AuthResult> {
    const parsed = parseKey(raw);
    if (!parsed || parsed.kind === 'tfs') return { ok: false, reason: 'malformed' };
    if (parsed.kind === 'tfe') return this.authenticateEmbed(parsed.publicId, parsed.secretHash);
    const rec = await this.lookup(parsed.kind, parsed.publicId);
    if (!rec || rec.kind !== parsed.kind) return { ok: false, reason: 'unknown' };
    return this.checkKey(rec, parsed.publicId, parsed.secretHash);
  }

  /** The session cookie's value (`tfs_`). */
  async authenticateSession(raw: string): Promise<AuthResult> {
    const parsed = parseKey(raw);
    if (!parsed || parsed.kind !== 'tfs') return { ok: false, reason: 'malformed' };
    const rec = await this.lookup('tfs', parsed.publicId);
    if (!rec || rec.kind !== 'tfs' || rec.method === 'embed') return { ok: false, reason: 'unknown' };
    const fail = (reason: AuthFailureReason): AuthResult => ({
      ok: false,
      reason,
      orgId: rec.orgId,
      sessionId: rec.id,
    });
    if (!safeEqual(parsed.secretHash, rec.secretHash)) return fail('bad_secret');
    const now = Date.now();
    if (rec.revokedAt) return fail('revoked');
    if (rec.expiresAt.getTime() <= now) return fail('expired');
    if (rec.lastSeenAt.getTime() + this.idleMs <= now) return fail('idle');
    if (rec.userStatus !== 'active') return fail('user_inactive');
    if (rec.orgStatus !== 'active') return fail('org_suspended');
    this.touch(rec, parsed.publicId, now);
    return { ok: true, principal: this.sessionPrincipal(rec, raw) };
  }

  /**
   * An embedded session (`tfe_`, bearer): an external user inside one project with the token's role, narrowed to
   * what embedding may do (EMBED_SCOPES). No idle timeout: it lives for its short lifetime unless revoked.
   */
  private async authenticateEmbed(publicId: string, secretHash: Buffer): Promise<AuthResult> {
    const rec = await this.lookup('tfe', publicId);
    if (!rec || rec.kind !== 'tfe' || rec.method !== 'embed' || !rec.projectId || !rec.embedRole)
      return { ok: false, reason: 'unknown' };
    const fail = (reason: AuthFailureReason): AuthResult => ({
      ok: false,
      reason,
      orgId: rec.orgId,
      sessionId: rec.id,
    });
    if (!safeEqual(secretHash, rec.secretHash)) return fail('bad_secret');
    if (rec.revokedAt) return fail('revoked');
    if (rec.expiresAt.getTime() <= Date.now()) return fail('expired');
    if (rec.userStatus !== 'active') return fail('user_inactive');
    if (rec.orgStatus !== 'active') return fail('org_suspended');
    return {
      ok: true,
      principal: {
        type: 'embed',
        id: rec.userId,
        orgId: rec.orgId,
        displayName: rec.displayName ?? undefined,
        role: rec.embedRole,
        projectId: rec.projectId,
        scopes: [...EMBED_SCOPES],
        sessionId: rec.id,
      },
    };
  }

  private checkKey(rec: KeyRecord, publicId: string, secretHash: Buffer): AuthResult {
    const fail = (reason: AuthFailureReason): AuthResult => ({
      ok: false,
      reason,
      orgId: rec.orgId ?? undefined,
      keyId: rec.id,
    });
    const now = Date.now();
    const current = safeEqual(secretHash, rec.secretHash);
    const previous =
      !current &&
      !!rec.previousSecretHash &&
      !!rec.previousValidUntil &&
      rec.previousValidUntil.getTime() > now &&
      safeEqual(secretHash, rec.previousSecretHash);
    if (!current && !previous) return fail('bad_secret');
    if (rec.revokedAt) return fail('revoked');
    if (rec.expiresAt && rec.expiresAt.getTime() <= now) return fail('expired');
    if (rec.kind === 'tfp') {
      this.lastUsed.set(publicId, { kind: rec.kind, at: new Date(now) });
      return { ok: true, principal: { type: 'platform', id: rec.id, displayName: rec.name } };
    }
    if (rec.orgStatus !== 'active') return fail('org_suspended');
    if (rec.ownerUserId && rec.ownerStatus !== 'active') return fail('creator_inactive');
    this.lastUsed.set(publicId, { kind: rec.kind, at: new Date(now) });
    const principal: Principal = {
      type: 'api_key',
      id: rec.id,
      orgId: rec.orgId!,
      displayName: rec.name,
      role: rec.role!,
      projectId: rec.projectId,
      scopes: rec.scopes,
      createdBy: rec.ownerUserId,
    };
    const authority = rec.ownerUserId ? { userId: rec.ownerUserId, role: rec.ownerRole! } : undefined;
    return { ok: true, principal, authority };
  }

  private sessionPrincipal(rec: SessionRecord, raw: string): Principal {
    return {
      type: rec.method === 'embed' ? 'embed' : 'user',
      id: rec.userId,
      orgId: rec.orgId,
      email: rec.email,
      displayName: rec.displayName ?? undefined,
      role: rec.role,
      csrfToken: csrfTokenFor(raw),
    };
  }

  /** Idle expiry needs activity in the database, but at most one write per session per touch interval. */
  private touch(rec: SessionRecord, publicId: string, now: number): void {
    if (now - rec.lastSeenAt.getTime() < this.touchMs) return;
    rec.lastSeenAt = new Date(now);
    touchSession(this.db, publicId).catch((err: Error) =>
      this.log.warn({ err: err.message }, 'could not record session activity'),
    );
  }

  private lookup(kind: KeyKind, publicId: string): Promise<CredentialRecord | null> {
    return this.cache.get(publicId, () => loadCredential(this.db, kind, publicId));
  }

  private onInvalidation(i: Invalidation): void {
    if (i.kind === 'credential') this.cache.delete(i.publicId);
    else if (i.kind === 'user') {
      this.cache.deleteWhere(
        (_k, rec) =>
          !!rec && ((rec.kind === 'tfs' && rec.userId === i.id) || (rec.kind === 'tfk' && rec.ownerUserId === i.id)),
      );
    }
  }

  private async flushLastUsed(): Promise<void> {
    if (!this.lastUsed.size || !this.db.systemReady) return;
    const batch = [...this.lastUsed.entries()];
    this.lastUsed.clear();
    for (const kind of ['tfk', 'tfp'] as const) {
      const items = batch.filter(([, v]) => v.kind === kind);
      if (!items.length) continue;
      await recordLastUsed(
        this.db,
        kind,
        items.map(([k]) => k),
        items.map(([, v]) => v.at),
      ).catch((err: Error) => this.log.warn({ err: err.message }, 'could not record key last-used times'));
    }
  }
}
