import pg from 'pg';
import { inject } from 'vitest';

export interface StoredEntry {
  id: string;
  org_id: string;
  seq: string;
  action: string;
  actor_type: string;
  actor_id: string | null;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  reason: string | null;
  metadata: Record<string, unknown>;
  hash: string;
}

/** Direct clients on the run's database: the owner (superuser in tests) and the runtime role. */
export async function auditClients(): Promise<{ owner: pg.Client; runtime: pg.Client; close(): Promise<void> }> {
  const url = inject('databaseUrl');
  const owner = new pg.Client({ connectionString: url });
  const runtime = new pg.Client({ connectionString: url, options: '-c role=tenantflow_app' });
  await owner.connect();
  await runtime.connect();
  return { owner, runtime, close: async () => void (await Promise.all([owner.end(), runtime.end()])) };
}

/** Every chain's head seq: a marker for "entries written after this". */
export async function auditMark(owner: pg.Client): Promise<{ org_id: string; seq: string }[]> {
  const { rows } = await owner.query<{ org_id: string; seq: string }>(`SELECT org_id, seq FROM audit_chain`);
  return rows;
}

/** Every entry written after `mark`, across all chains, in chain order. */
export async function auditSince(owner: pg.Client, mark: { org_id: string; seq: string }[]): Promise<StoredEntry[]> {
  const { rows } = await owner.query<StoredEntry>(
    `SELECT e.id, e.org_id, e.seq, e.action, e.actor_type, e.actor_id, e.resource_type, e.resource_id, e.outcome, e.reason, e.metadata, e.hash
       FROM audit_event e LEFT JOIN json_to_recordset($1::json) AS m(org_id uuid, seq bigint) ON m.org_id = e.org_id
      WHERE e.seq > coalesce(m.seq, 0) ORDER BY e.org_id, e.seq`,
    [JSON.stringify(mark)],
  );
  return rows;
}

/** Runs `sql` as superuser with triggers off (what an attacker with database superuser could do). */
export async function asSuperuserBypassingTriggers(
  owner: pg.Client,
  sql: string,
  params: unknown[] = [],
): Promise<void> {
  await owner.query('BEGIN');
  try {
    await owner.query(`SET LOCAL session_replication_role = replica`);
    await owner.query(sql, params);
    await owner.query('COMMIT');
  } catch (e) {
    await owner.query('ROLLBACK');
    throw e;
  }
}
