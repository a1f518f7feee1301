import type { Database } from '../../core/database/database.js';

const UNFINISHED = `status IN ('queued', 'running')`;

/**
 * Every query of the execution module on the system pool (no row-level security), each named and narrow:
 * - pre-tenant: an org's status and run settings (webhooks must know whether the org is active before anything else);
 * - platform: the scheduler's list of scheduled flows across orgs (TODO(#7): the flows module should own it);
 * - recovery: failing unfinished runs of dead instances and overdue runs, by instance or id; queued runs to re-queue.
 */
export const executionSystemQueries = (db: Database) => ({
  async orgRuntime(orgId: string): Promise<{ status: string; settings: Record<string, unknown> | null } | undefined> {
    const [row] = await db.systemQuery<{ status: string; settings: Record<string, unknown> | null }>(
      `SELECT status, settings FROM organization WHERE id = $1`,
      [orgId],
    );
    return row;
  },

  /** Enabled flows of active orgs whose published version has a schedule trigger. */
  scheduledFlows(): Promise<
    {
      org_id: string;
      project_id: string;
      id: string;
      published_version: number;
      definition: unknown;
      active_since: Date;
    }[]
  > {
    return db.systemQuery(
      `SELECT f.org_id, f.project_id, f.id, f.published_version, v.definition,
              coalesce(greatest(f.enabled_at, o.activated_at), f.created_at) AS active_since
         FROM flow f JOIN flow_version v ON v.flow_id = f.id AND v.version = f.published_version
         JOIN organization o ON o.id = f.org_id AND o.status = 'active'
        WHERE f.enabled AND f.deleted_at IS NULL AND v.definition -> 'trigger' ->> 'type' = 'schedule'`,
    );
  },

  /** Instances other than `self` that own unfinished runs (alive or dead; the caller checks their lock). */
  async otherInstancesWithUnfinishedRuns(self: string): Promise<string[]> {
    const rows = await db.systemQuery<{ instance_id: string }>(
      `SELECT DISTINCT instance_id FROM run WHERE ${UNFINISHED} AND instance_id IS NOT NULL AND instance_id <> $1`,
      [self],
    );
    return rows.map((r) => r.instance_id);
  },

  /** Unfinished runs older than `graceMs` that are orphaned or claimed by `self` (the caller drops those still running). */
  async overdueRuns(self: string, graceMs: number): Promise<string[]> {
    const rows = await db.systemQuery<{ id: string }>(
      `SELECT id FROM run WHERE ${UNFINISHED} AND (instance_id IS NULL OR instance_id = $1)
          AND started_at < now() - make_interval(secs => $2::double precision / 1000)`,
      [self, graceMs],
    );
    return rows.map((r) => r.id);
  },

  /** Queued runs older than `olderThanMs`, oldest first (the queue's re-queue sweep checks their jobs). */
  queuedRuns(olderThanMs: number, limit: number): Promise<{ id: string; org_id: string }[]> {
    return db.systemQuery(
      `SELECT id, org_id FROM run WHERE status = 'queued'
          AND created_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
  },

  /** Runs `instanceId` claimed (their launch data still held) more than `olderThanMs` ago: in doubt if it does not run them. */
  claimedNotStarted(instanceId: string, olderThanMs: number): Promise<{ id: string; org_id: string }[]> {
    return db.systemQuery(
      `SELECT id, org_id FROM run WHERE status = 'running' AND instance_id = $1 AND launch IS NOT NULL
          AND started_at < now() - make_interval(secs => $2::double precision / 1000)
        LIMIT 1000`,
      [instanceId, olderThanMs],
    );
  },

  /** Fails the unfinished runs of a dead instance; returns the runs ended. */
  failRunsOfInstance(instanceId: string, type: string, message: string): Promise<string[]> {
    return fail(db, `instance_id = $1`, [instanceId], type, message);
  },

  async failRuns(ids: string[], type: string, message: string): Promise<string[]> {
    return ids.length ? fail(db, `id = ANY($1::uuid[])`, [ids], type, message) : [];
  },
});

async function fail(db: Database, where: string, params: unknown[], type: string, message: string): Promise<string[]> {
  const n = params.length;
  const rows = await db.systemQuery<{ id: string }>(
    `WITH u AS (UPDATE run SET status = 'failed', error_type = $${n + 1}, error_message = $${n + 2}, finished_at = now(), instance_id = NULL, launch = NULL
                 WHERE ${UNFINISHED} AND ${where} RETURNING id) SELECT id FROM u`,
    [...params, type, message],
  );
  return rows.map((r) => r.id);
}
