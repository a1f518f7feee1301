import type { EntityManager } from 'typeorm';
import type { Database } from '../../core/database/database.js';
import { AUDIT_COLUMNS, rowFields, type AuditRow } from './audit-entry.js';
import { chainHash, entryBody, GENESIS_HASH, PLATFORM_ORG_ID } from './audit-hash.js';

export type VerifyFailure = 'hash_mismatch' | 'sequence_gap' | 'missing_anchor' | 'head_mismatch';

export interface ChainVerification {
  /** `null` for the platform chain. */
  orgId: string | null;
  ok: boolean;
  checked: number;
  /** The first entry that does not verify (absent when entries after the last one were removed). */
  firstBadEventId?: string;
  firstBadSeq?: number;
  reason?: VerifyFailure;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBadEventId?: string;
  chains: ChainVerification[];
}

const BATCH = 5000;

/** The hash the chain's oldest remaining entry continues from: genesis, or the newest purge checkpoint's. */
async function anchorFor(em: EntityManager, orgId: string, firstSeq: number): Promise<string | null> {
  if (firstSeq === 1) return GENESIS_HASH;
  const [cp] = (await em.query(
    `SELECT metadata FROM audit_event WHERE org_id = $1 AND action = 'audit.purged' ORDER BY seq DESC LIMIT 1`,
    [orgId],
  )) as { metadata: { throughSeq?: number; continuesFromHash?: string } }[];
  if (!cp || Number(cp.metadata.throughSeq) !== firstSeq - 1 || typeof cp.metadata.continuesFromHash !== 'string')
    return null;
  return cp.metadata.continuesFromHash;
}

/**
 * Verifies one chain inside the caller's transaction. Holds a KEY SHARE lock on the chain head (appends go on,
 * a purge waits) and checks every entry up to the head as it was then: contiguous seq from the anchor, and each
 * hash recomputed from the stored columns and the previous entry's stored hash. An edited entry is therefore
 * named itself; a removed one is named by its successor (sequence gap).
 */
export async function verifyChain(em: EntityManager, orgId: string): Promise<ChainVerification> {
  const result = (over: Partial<ChainVerification>, checked: number): ChainVerification => ({
    orgId: orgId === PLATFORM_ORG_ID ? null : orgId,
    ok: true,
    checked,
    ...over,
  });
  const [head] = (await em.query(`SELECT seq, head_hash FROM audit_chain WHERE org_id = $1 FOR KEY SHARE`, [
    orgId,
  ])) as { seq: string; head_hash: string }[];
  if (!head || head.seq === '0') return result({}, 0);
  const [first] = (await em.query(`SELECT id, seq FROM audit_event WHERE org_id = $1 ORDER BY seq LIMIT 1`, [
    orgId,
  ])) as { id: string; seq: string }[];
  if (!first) return result({ ok: false, reason: 'head_mismatch' }, 0);
  let prev = await anchorFor(em, orgId, Number(first.seq));
  if (prev === null)
    return result(
      { ok: false, reason: 'missing_anchor', firstBadEventId: first.id, firstBadSeq: Number(first.seq) },
      0,
    );
  let expected = Number(first.seq);
  let checked = 0;
  let last: AuditRow | undefined;
  for (let after = expected - 1; ;) {
    const rows = (await em.query(
      // JS dates hold milliseconds: a finer (edited) time must not pass as the hashed one.
      `SELECT ${AUDIT_COLUMNS}, created_at = date_trunc('milliseconds', created_at) AS ms_exact
         FROM audit_event WHERE org_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT ${BATCH}`,
      [orgId, after, head.seq],
    )) as (AuditRow & { ms_exact: boolean })[];
    for (const row of rows) {
      const bad = (reason: VerifyFailure) =>
        result({ ok: false, reason, firstBadEventId: row.id, firstBadSeq: Number(row.seq) }, checked);
      if (Number(row.seq) !== expected) return bad('sequence_gap');
      checked++;
      if (!row.ms_exact || chainHash(prev, row.seq, row.created_at, entryBody(rowFields(row))) !== row.hash)
        return bad('hash_mismatch');
      prev = row.hash;
      expected++;
      last = row;
    }
    if (rows.length < BATCH) break;
    after = Number(rows[rows.length - 1].seq);
  }
  if (!last || last.seq !== head.seq || last.hash !== head.head_hash)
    return result({ ok: false, reason: 'head_mismatch' }, checked);
  return result({}, checked);
}

/**
 * Verifies the audit chain of one org (`orgId`; `platform` for the platform chain), or of every chain. Used by
 * `GET /api/v1/audit-events/verify` and the CLI (`audit:verify [--org <id>]`).
 */
export async function verifyAuditChain(db: Database, orgId?: string): Promise<AuditVerification> {
  let chains: ChainVerification[];
  if (orgId === PLATFORM_ORG_ID || orgId === 'platform') {
    chains = [await db.withSystem((em) => verifyChain(em, PLATFORM_ORG_ID))];
  } else if (orgId) {
    chains = [await db.withOrg(orgId, (em) => verifyChain(em, orgId))];
  } else {
    const rows = (await db.systemQuery(`SELECT org_id FROM audit_chain ORDER BY org_id`)) as { org_id: string }[];
    chains = [];
    for (const r of rows) chains.push(await db.withSystem((em) => verifyChain(em, r.org_id)));
  }
  const bad = chains.find((c) => !c.ok);
  return {
    ok: !bad,
    checked: chains.reduce((n, c) => n + c.checked, 0),
    ...(bad?.firstBadEventId ? { firstBadEventId: bad.firstBadEventId } : {}),
    chains,
  };
}

/** One line per chain for the CLI. */
export function describeVerification(v: AuditVerification): string {
  const lines = v.chains.map((c) => {
    const who = c.orgId ?? 'platform';
    if (c.ok) return `ok    ${who}: ${c.checked} entries verified`;
    return `FAIL  ${who}: ${c.reason}${c.firstBadEventId ? ` at entry ${c.firstBadEventId} (seq ${c.firstBadSeq})` : ''} after ${c.checked} entries`;
  });
  lines.push(
    v.ok ? `Audit log verified: ${v.checked} entries in ${v.chains.length} chains.` : 'Audit log verification FAILED.',
  );
  return lines.join('\n');
}

/** The API answer for one chain: `{ok, checked, firstBadEventId?, reason?}`. */
export async function verifyForApi(
  db: Database,
  orgId: string,
): Promise<{ ok: boolean; checked: number; firstBadEventId?: string; reason?: VerifyFailure }> {
  const [c] = (await verifyAuditChain(db, orgId)).chains;
  return {
    ok: c.ok,
    checked: c.checked,
    ...(c.firstBadEventId ? { firstBadEventId: c.firstBadEventId } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
  };
}

/** `audit:verify [--org <id>|platform]` for the CLI: the report to print and the exit code (1 when a chain fails). */
export async function auditVerifyCommand(db: Database, args: string[]): Promise<{ exitCode: number; output: string }> {
  const i = args.indexOf('--org');
  const orgId = i >= 0 ? args[i + 1] : undefined;
  if (i >= 0 && !orgId) return { exitCode: 2, output: 'usage: audit:verify [--org <orgId>|platform]' };
  const result = await verifyAuditChain(db, orgId);
  return { exitCode: result.ok ? 0 : 1, output: describeVerification(result) };
}
