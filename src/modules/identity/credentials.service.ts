import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PoolClient } from 'pg';
import { safeEqual } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { LOGGER } from '../../core/logging/logger.js';
import type { Principal } from '../../core/context/request-context.js';
import { parseKey, type KeyKind } from './key-format.js';

/** Cache lifetime of a credential lookup: revocation reaches every instance within this, NOTIFY or not. */
const CACHE_TTL_MS = 500;
const LAST_USED_FLUSH_MS = 10_000;
export const CREDENTIALS_CHANNEL = 'tenantflow_credentials';

interface KeyRecord {
  kind: KeyKind;
  id: string;
  orgId: string | null;
  orgStatus: string | null;
  name: string;
  secretHash: Buffer;
  previousSecretHash: Buffer | null;
  previousValidUntil: Date | null;
  role: string | null;
  projectId: string | null;
  scopes: string[] | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdById: string | null;
}

export type AuthFailure = { reason: 'malformed' | 'unknown' | 'bad_secret' | 'revoked' | 'expired' | 'org_suspended'; orgId?: string; keyId?: string };
export type AuthResult = { ok: true; principal: Principal } | ({ ok: false } & AuthFailure);

/**
 * Verifies bearer keys. Lookups by public id are cached for {@link CACHE_TTL_MS} and invalidated across
 * instances by PostgreSQL NOTIFY; last-used times are batched in memory and flushed, never written per request.
 */
@Injectable()
export class CredentialsService implements OnModuleDestroy {
  private readonly cache = new Map<string, { rec: KeyRecord | null; at: number }>();
  private readonly lastUsed = new Map<string, { kind: KeyKind; at: Date }>();
  private listener?: PoolClient;
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const pool = (this.db.system.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    this.listener = await pool.connect();
    this.listener.on('notification', (n) => {
      if (n.channel === CREDENTIALS_CHANNEL && n.payload) this.cache.delete(n.payload);
    });
    this.listener.on('error', (err) => this.log.warn({ err: err.message }, 'credential listener lost; relying on cache expiry'));
    await this.listener.query(`LISTEN ${CREDENTIALS_CHANNEL}`);
    this.flushTimer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed();
    this.listener?.release(true);
    this.listener = undefined;
  }

  /** Drops a cached credential here; other instances learn it from the NOTIFY sent in the changing transaction. */
  forget(publicId: string): void {
    this.cache.delete(publicId);
  }

  async authenticate(raw: string): Promise<AuthResult> {
    const parsed = parseKey(raw);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const rec = await this.lookup(parsed.kind, parsed.publicId);
    if (!rec || rec.kind !== parsed.kind) return { ok: false, reason: 'unknown' };
    const fail = (reason: AuthFailure['reason']): AuthResult => ({ ok: false, reason, orgId: rec.orgId ?? undefined, keyId: rec.id });
    const now = Date.now();
    const current = safeEqual(parsed.secretHash, rec.secretHash);
    const previous = !current && !!rec.previousSecretHash && !!rec.previousValidUntil && rec.previousValidUntil.getTime() > now
      && safeEqual(parsed.secretHash, rec.previousSecretHash);
    if (!current && !previous) return fail('bad_secret');
    if (rec.revokedAt) return fail('revoked');
    if (rec.expiresAt && rec.expiresAt.getTime() <= now) return fail('expired');
    if (rec.kind === 'tfk' && rec.orgStatus !== 'active') return fail('org_suspended');
    this.lastUsed.set(parsed.publicId, { kind: rec.kind, at: new Date(now) });
    return { ok: true, principal: this.toPrincipal(rec) };
  }

  private toPrincipal(rec: KeyRecord): Principal {
    if (rec.kind === 'tfp') return { type: 'platform', id: rec.id, displayName: rec.name };
    return {
      type: 'api_key', id: rec.id, orgId: rec.orgId!, displayName: rec.name, role: rec.role!,
      projectId: rec.projectId, scopes: rec.scopes, createdBy: rec.createdById,
    };
  }

  private async lookup(kind: KeyKind, publicId: string): Promise<KeyRecord | null> {
    const hit = this.cache.get(publicId);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.rec;
    const rows: Record<string, unknown>[] = kind === 'tfp'
      ? await this.db.system.query(
        `SELECT id, name, secret_hash, revoked_at FROM platform_key WHERE public_id = $1`, [publicId])
      : await this.db.system.query(
        `SELECT k.id, k.org_id, o.status AS org_status, k.name, k.secret_hash, k.previous_secret_hash, k.previous_valid_until,
                k.role, k.project_id, k.scopes, k.expires_at, k.revoked_at, k.created_by_id
           FROM api_key k JOIN organization o ON o.id = k.org_id WHERE k.public_id = $1`, [publicId]);
    const r = rows[0];
    const rec: KeyRecord | null = r ? {
      kind, id: r.id as string, orgId: (r.org_id as string) ?? null, orgStatus: (r.org_status as string) ?? null,
      name: r.name as string, secretHash: r.secret_hash as Buffer, previousSecretHash: (r.previous_secret_hash as Buffer) ?? null,
      previousValidUntil: (r.previous_valid_until as Date) ?? null, role: (r.role as string) ?? null,
      projectId: (r.project_id as string) ?? null, scopes: (r.scopes as string[]) ?? null,
      expiresAt: (r.expires_at as Date) ?? null, revokedAt: (r.revoked_at as Date) ?? null, createdById: (r.created_by_id as string) ?? null,
    } : null;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(publicId, { rec, at: Date.now() });
    return rec;
  }

  private async flushLastUsed(): Promise<void> {
    if (!this.lastUsed.size || !this.db.system.isInitialized) return;
    const batch = [...this.lastUsed.entries()];
    this.lastUsed.clear();
    for (const kind of ['tfk', 'tfp'] as const) {
      const items = batch.filter(([, v]) => v.kind === kind);
      if (!items.length) continue;
      const table = kind === 'tfk' ? 'api_key' : 'platform_key';
      await this.db.system.query(
        `UPDATE ${table} t SET last_used_at = u.at FROM unnest($1::text[], $2::timestamptz[]) AS u(pid, at)
          WHERE t.public_id = u.pid AND (t.last_used_at IS NULL OR t.last_used_at < u.at)`,
        [items.map(([k]) => k), items.map(([, v]) => v.at)],
      ).catch((err: Error) => this.log.warn({ err: err.message }, 'could not record key last-used times'));
    }
  }
}
