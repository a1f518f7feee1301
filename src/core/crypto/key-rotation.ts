import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database.js';
import { envelopeKeyId, type KeyRing } from './key-ring.js';

/**
 * A text column holding one key-ring envelope per row. Modules register theirs (SSO client secrets, connection
 * data, provider credentials) so `keys:rotate` re-encrypts every row without knowing the modules.
 */
export interface EncryptedColumn {
  table: string;
  column: string;
  /** The field name bound into the additional data (`CipherRef.field`). */
  field: string;
  /** For values sealed before the key ring (legacy `v1` master-key envelopes): their context. */
  legacyContext?: (orgId: string) => string;
}

const COLUMNS = new Map<string, EncryptedColumn>();
const IDENT = /^[a-z_][a-z0-9_]*$/;

/** Registers an encrypted column (idempotent). Table and column names are code, never input. */
export function registerEncryptedColumn(c: EncryptedColumn): void {
  if (!IDENT.test(c.table) || !IDENT.test(c.column)) throw new Error(`bad encrypted column ${c.table}.${c.column}`);
  COLUMNS.set(`${c.table}.${c.column}`, c);
}

export function encryptedColumns(): EncryptedColumn[] {
  return [...COLUMNS.values()];
}

export interface RotationOptions {
  /** New data keys for every org even when the master key did not change. */
  freshDataKeys?: boolean;
  batchSize?: number;
  /** Retired data keys no row uses any more are deleted once retired this long (ms; default 10 min). */
  purgeGraceMs?: number;
  /** Only these orgs (default every org). */
  orgIds?: string[];
  onProgress?(message: string): void;
}

export interface RotationReport {
  orgs: number;
  rows: number;
  rotated: number;
  /** Rows that could not be opened (their key is gone or they were altered): left as they are, never printed. */
  failed: { orgId: string; table: string; rowId: string }[];
  purgedKeys: number;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Re-encrypts every registered column under each org's active data key (wrapped by the active master key).
 * Batches are short transactions and each update is compare-and-swap on the old ciphertext, so servers keep
 * running and writing; values already under the active key are skipped, so an interrupted run simply resumes.
 */
export async function rotateKeys(db: Database, ring: KeyRing, opts: RotationOptions = {}): Promise<RotationReport> {
  const report: RotationReport = { orgs: 0, rows: 0, rotated: 0, failed: [], purgedKeys: 0 };
  const orgs = (await (opts.orgIds
    ? db.systemQuery(`SELECT id FROM organization WHERE id::text = ANY($1) ORDER BY id`, [opts.orgIds])
    : db.systemQuery(`SELECT id FROM organization ORDER BY id`))) as { id: string }[];
  for (const { id: orgId } of orgs) {
    report.orgs += 1;
    const activeId = await db.withOrg(
      orgId,
      async (em) => (await ring.activeKey(em, orgId, { fresh: opts.freshDataKeys })).id,
    );
    const failedBefore = report.failed.length;
    for (const col of encryptedColumns())
      await rotateColumn(db, ring, orgId, activeId, col, opts.batchSize ?? 100, report);
    if (report.failed.length === failedBefore)
      report.purgedKeys += await purgeRetired(db, orgId, activeId, opts.purgeGraceMs ?? 600_000);
    opts.onProgress?.(`org ${orgId}: done`);
  }
  return report;
}

async function rotateColumn(
  db: Database,
  ring: KeyRing,
  orgId: string,
  activeId: string,
  col: EncryptedColumn,
  batch: number,
  report: RotationReport,
): Promise<void> {
  let cursor = ZERO_UUID;
  for (;;) {
    const rows = await db.withOrg(orgId, async (em) => {
      const found = (await em.query(
        `SELECT id, "${col.column}" AS value FROM "${col.table}" WHERE org_id = $1 AND "${col.column}" IS NOT NULL AND id > $2 ORDER BY id LIMIT $3`,
        [orgId, cursor, batch],
      )) as { id: string; value: string }[];
      for (const row of found) await rotateRow(em, ring, orgId, activeId, col, row, report);
      return found;
    });
    if (rows.length < batch) return;
    cursor = rows[rows.length - 1].id;
  }
}

async function rotateRow(
  em: EntityManager,
  ring: KeyRing,
  orgId: string,
  activeId: string,
  col: EncryptedColumn,
  row: { id: string; value: string },
  report: RotationReport,
): Promise<void> {
  report.rows += 1;
  if (envelopeKeyId(row.value) === activeId && row.value.startsWith('v2:')) return;
  const ref = { orgId, table: col.table, rowId: row.id, field: col.field };
  let plain: string;
  try {
    plain = await ring.open(ref, row.value, col.legacyContext?.(orgId));
  } catch {
    report.failed.push({ orgId, table: col.table, rowId: row.id });
    return;
  }
  const sealed = await ring.seal(ref, plain);
  // Compare-and-swap: a server that changed the value meanwhile wrote it under the active key already.
  await em.query(
    `UPDATE "${col.table}" SET "${col.column}" = $1 WHERE org_id = $2 AND id = $3 AND "${col.column}" = $4`,
    [sealed, orgId, row.id, row.value],
  );
  report.rotated += 1;
}

/** Deletes the org's retired data keys once no registered row names another key than the active one. */
async function purgeRetired(db: Database, orgId: string, activeId: string, graceMs: number): Promise<number> {
  return db.withOrg(orgId, async (em) => {
    for (const col of encryptedColumns()) {
      const [{ n }] = (await em.query(
        `SELECT count(*)::int AS n FROM "${col.table}" WHERE org_id = $1 AND "${col.column}" IS NOT NULL AND split_part("${col.column}", ':', 2) <> $2`,
        [orgId, activeId],
      )) as { n: number }[];
      if (n > 0) return 0;
    }
    const deleted = (await em.query(
      `DELETE FROM org_data_key WHERE org_id = $1 AND NOT active AND retired_at < now() - make_interval(secs => $2) RETURNING id`,
      [orgId, graceMs / 1000],
    )) as unknown[];
    return Array.isArray(deleted[0]) ? (deleted[0] as unknown[]).length : deleted.length;
  });
}
