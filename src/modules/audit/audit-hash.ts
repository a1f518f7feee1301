import { createHash } from 'node:crypto';
import type { AuditOutcome } from '../../core/events/domain-events.js';

/** The previous hash of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Org id of the platform chain (events without an org). No tenant context ever equals it. */
export const PLATFORM_ORG_ID = '00000000-0000-0000-0000-000000000000';

/** What an entry's hash covers besides its place in the chain (seq, time, previous hash). */
export interface EntryFields {
  id: string;
  orgId: string;
  actor: { type: string; id: string | null; name: string | null };
  action: string;
  resource: { type: string; id: string | null };
  outcome: AuditOutcome;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  metadata: Record<string, unknown>;
}

/**
 * Canonical JSON: object keys sorted (UTF-16 order), no whitespace, `undefined` members dropped. Inputs are plain
 * JSON values (the writer normalizes metadata through a JSON round trip, and jsonb gives the same values back).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The canonical body the database stores the columns from (`audit_append`) and verification rebuilds. */
export function entryBody(f: EntryFields): string {
  return canonicalJson({
    v: 1,
    id: f.id,
    orgId: f.orgId,
    actor: f.actor,
    action: f.action,
    resource: f.resource,
    outcome: f.outcome,
    reason: f.reason,
    ip: f.ip,
    userAgent: f.userAgent,
    requestId: f.requestId,
    metadata: f.metadata,
  });
}

/** sha256(prev | seq | createdAt ISO with ms | body), hex: the same formula as `audit_append` in SQL. */
export function chainHash(prevHash: string, seq: string | number | bigint, createdAt: Date, body: string): string {
  return createHash('sha256')
    .update(`${prevHash}|${String(seq)}|${createdAt.toISOString()}|${body}`, 'utf8')
    .digest('hex');
}
