import type { Database } from '../../../core/database/database.js';

const UNFINISHED = `status IN ('queued', 'running')`;

/**
 * Run maintenance across orgs on the system pool (no row-level security): the platform's own bookkeeping for
 * crash recovery, never tenant work. Each statement names its rows by instance or id.
 */
export const runSystemQueries = (db: Database) => ({
  /** Instances other than `self` that own unfinished runs (alive or dead; the caller checks their lock). */
  async otherInstancesWithUnfinishedRuns(self: string): Promise<string[]> {
    const rows = await db.systemQuery<{ instance_id: string }>(
      `SELECT DISTINCT instance_id FROM run WHERE ${UNFINISHED} AND instance_id IS NOT NULL AND instance_id <> $1`, [self]);
    return rows.map((r) => r.instance_id);
  },

  /** Unfinished runs older than `graceMs` that are orphaned or claimed by `self` (the caller drops those still running). */
  async overdueRuns(self: string, graceMs: number): Promise<string[]> {
    const rows = await db.systemQuery<{ id: string }>(
      `SELECT id FROM run WHERE ${UNFINISHED} AND (instance_id IS NULL OR instance_id = $1)
          AND started_at < now() - make_interval(secs => $2::double precision / 1000)`, [self, graceMs]);
    return rows.map((r) => r.id);
  },

  failRunsOfInstance(instanceId: string, type: string, message: string): Promise<number> {
    return fail(db, `instance_id = $1`, [instanceId], type, message);
  },

  async failRuns(ids: string[], type: string, message: string): Promise<number> {
    return ids.length ? fail(db, `id = ANY($1::uuid[])`, [ids], type, message) : 0;
  },
});

async function fail(db: Database, where: string, params: unknown[], type: string, message: string): Promise<number> {
  const n = params.length;
  const rows = await db.systemQuery(
    `WITH u AS (UPDATE run SET status = 'failed', error_type = $${n + 1}, error_message = $${n + 2}, finished_at = now(), instance_id = NULL
                 WHERE ${UNFINISHED} AND ${where} RETURNING id) SELECT id FROM u`,
    [...params, type, message],
  );
  return rows.length;
}
