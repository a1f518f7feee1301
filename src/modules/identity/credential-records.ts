import type { Database } from '../../core/database/database.js';
import type { KeyKind } from './key-format.js';

/** What the auth hot path needs about an API key or platform key, read in one query by public id. */
export interface KeyRecord {
  kind: 'tfk' | 'tfp';
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
  /** The user on whose authority the key exists, with that user's current role and status. */
  ownerUserId: string | null;
  ownerRole: string | null;
  ownerStatus: string | null;
}

/** What the auth hot path needs about a browser session, with its user and org, read in one query. */
export interface SessionRecord {
  /** `tfs` browser session (cookie), `tfe` embedded session (bearer, bound to one project). */
  kind: 'tfs' | 'tfe';
  id: string;
  orgId: string;
  orgStatus: string;
  userId: string;
  method: string;
  secretHash: Buffer;
  email: string;
  displayName: string | null;
  role: string;
  userStatus: string;
  expiresAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
  /** Embedded sessions: the one project and the role the token granted there. */
  projectId: string | null;
  embedRole: string | null;
}

export type CredentialRecord = KeyRecord | SessionRecord;

type Row = Record<string, unknown>;
const d = (v: unknown): Date | null => (v as Date | null) ?? null;
const s = (v: unknown): string | null => (v as string | null) ?? null;

const KEY_SQL = `
  SELECT k.id, k.org_id, o.status AS org_status, k.name, k.secret_hash, k.previous_secret_hash, k.previous_valid_until,
         k.role, k.project_id, k.scopes, k.expires_at, k.revoked_at, k.owner_user_id, u.role AS owner_role, u.status AS owner_status
    FROM api_key k JOIN organization o ON o.id = k.org_id
    LEFT JOIN app_user u ON u.id = k.owner_user_id AND u.org_id = k.org_id
   WHERE k.public_id = $1`;

const SESSION_SQL = `
  SELECT s.id, s.org_id, o.status AS org_status, s.user_id, s.method, s.secret_hash, s.expires_at, s.last_seen_at, s.revoked_at,
         s.project_id, s.embed_role, u.email, u.display_name, u.role, u.status AS user_status
    FROM app_session s JOIN organization o ON o.id = s.org_id JOIN app_user u ON u.id = s.user_id AND u.org_id = s.org_id
   WHERE s.public_id = $1`;

/**
 * Pre-tenant lookups by public id on the system pool: the org is not known until the credential is (the only
 * queries of this kind, see `Database`). One round trip each, cached by the caller.
 */
export async function loadCredential(db: Database, kind: KeyKind, publicId: string): Promise<CredentialRecord | null> {
  if (kind === 'tfp') {
    const [r] = (await db.systemQuery(
      `SELECT id, name, secret_hash, revoked_at FROM platform_key WHERE public_id = $1`,
      [publicId],
    )) as Row[];
    return r
      ? {
          kind,
          id: r.id as string,
          orgId: null,
          orgStatus: null,
          name: r.name as string,
          secretHash: r.secret_hash as Buffer,
          previousSecretHash: null,
          previousValidUntil: null,
          role: null,
          projectId: null,
          scopes: null,
          expiresAt: null,
          revokedAt: d(r.revoked_at),
          ownerUserId: null,
          ownerRole: null,
          ownerStatus: null,
        }
      : null;
  }
  if (kind === 'tfk') {
    const [r] = (await db.systemQuery(KEY_SQL, [publicId])) as Row[];
    return r
      ? {
          kind,
          id: r.id as string,
          orgId: r.org_id as string,
          orgStatus: r.org_status as string,
          name: r.name as string,
          secretHash: r.secret_hash as Buffer,
          previousSecretHash: (r.previous_secret_hash as Buffer | null) ?? null,
          previousValidUntil: d(r.previous_valid_until),
          role: r.role as string,
          projectId: s(r.project_id),
          scopes: (r.scopes as string[] | null) ?? null,
          expiresAt: d(r.expires_at),
          revokedAt: d(r.revoked_at),
          ownerUserId: s(r.owner_user_id),
          ownerRole: s(r.owner_role),
          ownerStatus: s(r.owner_status),
        }
      : null;
  }
  const [r] = (await db.systemQuery(SESSION_SQL, [publicId])) as Row[];
  return r
    ? {
        kind,
        id: r.id as string,
        orgId: r.org_id as string,
        orgStatus: r.org_status as string,
        userId: r.user_id as string,
        method: r.method as string,
        secretHash: r.secret_hash as Buffer,
        email: r.email as string,
        displayName: s(r.display_name),
        role: r.role as string,
        userStatus: r.user_status as string,
        expiresAt: r.expires_at as Date,
        lastSeenAt: r.last_seen_at as Date,
        revokedAt: d(r.revoked_at),
        projectId: s(r.project_id),
        embedRole: s(r.embed_role),
      }
    : null;
}

/** Records session activity (idle expiry), on the system pool like the lookup it follows. */
export async function touchSession(db: Database, publicId: string): Promise<void> {
  await db.systemQuery(`UPDATE app_session SET last_seen_at = now() WHERE public_id = $1 AND last_seen_at < now()`, [
    publicId,
  ]);
}

/** Writes batched last-used times of API keys (`tfk`) or platform keys (`tfp`), never moving one back. */
export async function recordLastUsed(
  db: Database,
  kind: 'tfk' | 'tfp',
  publicIds: string[],
  at: Date[],
): Promise<void> {
  const table = kind === 'tfk' ? 'api_key' : 'platform_key';
  await db.systemQuery(
    `UPDATE ${table} t SET last_used_at = u.at FROM unnest($1::text[], $2::timestamptz[]) AS u(pid, at)
      WHERE t.public_id = u.pid AND (t.last_used_at IS NULL OR t.last_used_at < u.at)`,
    [publicIds, at],
  );
}
