import type { AuditFilterDto } from './dto/audit-query.dto.js';

/**
 * WHERE conditions for the org's entries matching `f`, with parameters appended to `params` ($1 is the org id).
 * A time range also becomes a seq range (created_at never decreases along a chain), so each filter is a range scan
 * on an (org_id, <column>, seq) index instead of a scan of everything newer than the range.
 */
export function auditConditions(f: AuditFilterDto, params: unknown[]): string[] {
  const cond = ['org_id = $1'];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    cond.push(sql(`$${params.length}`));
  };
  if (f.action) add((p) => `action = ${p}`, f.action);
  if (f.actorId) add((p) => `actor_id = ${p}`, f.actorId);
  if (f.resourceType) add((p) => `resource_type = ${p}`, f.resourceType);
  if (f.resourceId) add((p) => `resource_id = ${p}`, f.resourceId);
  if (f.outcome) add((p) => `outcome = ${p}`, f.outcome);
  if (f.from) {
    add((p) => `created_at >= ${p}`, new Date(f.from));
    const p = `$${params.length}`;
    cond.push(
      `seq >= (SELECT s.seq FROM audit_event s WHERE s.org_id = $1 AND s.created_at >= ${p} ORDER BY s.created_at, s.seq LIMIT 1)`,
    );
  }
  if (f.to) {
    add((p) => `created_at < ${p}`, new Date(f.to));
    const p = `$${params.length}`;
    cond.push(
      `seq <= (SELECT s.seq FROM audit_event s WHERE s.org_id = $1 AND s.created_at < ${p} ORDER BY s.created_at DESC, s.seq DESC LIMIT 1)`,
    );
  }
  return cond;
}

/** Opaque cursor: the last returned seq. */
export const encodeSeqCursor = (seq: string | number): string => Buffer.from(`s${seq}`).toString('base64url');

export function decodeSeqCursor(cursor: string | undefined): string | undefined | null {
  if (!cursor) return undefined;
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^s\d{1,18}$/.test(raw) ? raw.slice(1) : null;
}
