import type { EntityManager } from 'typeorm';
import { fastUuidv7 as uuidv7 } from './ids.js';
import type { RunError } from '../engine/run-errors.js';
import type { FinalRunStatus, StepRecord } from '../engine/run-types.js';
import { RunEntity, StepRunEntity } from './run.entity.js';

/** A run as first written. */
export interface NewRun {
  id: string;
  orgId: string;
  projectId: string;
  flowId: string;
  flowVersion: number | null;
  triggerType: 'webhook' | 'manual' | 'schedule';
  status: 'queued' | 'running';
  input: unknown;
  idempotencyKey?: string | null;
  requestHash?: string | null;
  /** The process executing it (null while queued: no process owns it yet). */
  instanceId: string | null;
  createdByType?: string | null;
  createdById?: string | null;
  createdAt: Date;
  startedAt: Date | null;
}

/** How a run ended. */
export interface RunEnd {
  status: FinalRunStatus;
  output?: unknown;
  error?: RunError;
  steps: StepRecord[];
  startedAt: Date;
  finishedAt: Date;
}

/** The end of a run that failed before or outside the engine (no steps; started and finished now). */
export function failedEnd(message: string): RunEnd {
  const now = new Date();
  return { status: 'failed', error: { type: 'node_error', message }, steps: [], startedAt: now, finishedAt: now };
}

const RUN_COLUMNS = `id uuid, org_id uuid, project_id uuid, flow_id uuid, flow_version integer, trigger_type text, status text, input jsonb,
  output jsonb, error_type text, error_message text, error_node_id text, idempotency_key text, request_hash text, instance_id text,
  created_by_type text, created_by_id uuid, created_at timestamptz, started_at timestamptz, finished_at timestamptz`;
const STEP_COLUMNS = `id uuid, org_id uuid, run_id uuid, seq integer, node_id text, node_type text, attempt integer, iteration integer,
  status text, started_at timestamptz, duration_ms integer, output jsonb, error_type text, error_message text`;

function stepRows(orgId: string, runId: string, steps: StepRecord[]): Record<string, unknown>[] {
  return steps.map((s, seq) => ({
    id: uuidv7(),
    org_id: orgId,
    run_id: runId,
    seq,
    node_id: s.nodeId,
    node_type: s.nodeType,
    attempt: s.attempt,
    iteration: s.iteration ?? null,
    status: s.status,
    started_at: s.startedAt.toISOString(),
    duration_ms: s.durationMs,
    output: s.output === undefined ? null : s.output,
    error_type: s.error?.type ?? null,
    error_message: s.error?.message ?? null,
  }));
}

function runRow(r: NewRun, end?: RunEnd): Record<string, unknown> {
  return {
    id: r.id,
    org_id: r.orgId,
    project_id: r.projectId,
    flow_id: r.flowId,
    flow_version: r.flowVersion,
    trigger_type: r.triggerType,
    status: end?.status ?? r.status,
    input: r.input ?? null,
    output: end?.output ?? null,
    error_type: end?.error?.type ?? null,
    error_message: end?.error?.message ?? null,
    error_node_id: end?.error?.nodeId ?? null,
    idempotency_key: r.idempotencyKey ?? null,
    request_hash: r.requestHash ?? null,
    instance_id: end ? null : r.instanceId,
    created_by_type: r.createdByType ?? null,
    created_by_id: r.createdById ?? null,
    created_at: r.createdAt.toISOString(),
    started_at: (end?.startedAt ?? r.startedAt)?.toISOString() ?? null,
    finished_at: end?.finishedAt.toISOString() ?? null,
  };
}

/**
 * SQL for runs and steps, written for few round trips: finished runs and their steps go in as JSON record sets
 * (one statement per table for a whole batch). Every call runs inside `db.withOrg`, so row-level security applies.
 */
export const runStore = {
  async insert(em: EntityManager, r: NewRun): Promise<void> {
    await em.query(`INSERT INTO run SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${RUN_COLUMNS})`, [
      JSON.stringify([runRow(r)]),
    ]);
  },

  /** Writes a queued run with what its worker needs (`launch`, sealed); one statement. */
  async insertQueued(em: EntityManager, r: NewRun, launch: string): Promise<void> {
    await em.query(`INSERT INTO run SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${RUN_COLUMNS}, launch text)`, [
      JSON.stringify([{ ...runRow(r), launch }]),
    ]);
  },

  /**
   * A worker takes a queued run: it becomes `running`, owned by `instanceId`, and its sealed launch data is handed
   * over (kept, sealed, until the run ends). Undefined when the run is not this worker's to take (taken by another
   * worker, cancelled, ended): exactly one worker executes a run. `inDoubt`: this worker's earlier claim of the run
   * failed without an answer (the connection dropped at commit), so the run may already be `running` under this
   * worker without having started; it is handed over again. The caller passes it only for such runs.
   */
  async claim(
    em: EntityManager,
    orgId: string,
    runId: string,
    instanceId: string,
    inDoubt = false,
  ): Promise<string | undefined> {
    const rows: { launch: string | null }[] = await em.query(
      `WITH u AS (UPDATE run SET status = 'running', started_at = coalesce(started_at, now()), instance_id = $3
                   WHERE org_id = $1 AND id = $2 AND launch IS NOT NULL
                     AND (status = 'queued' OR ($4 AND status = 'running' AND instance_id = $3))
                 RETURNING launch)
       SELECT launch FROM u`,
      [orgId, runId, instanceId, inDoubt],
    );
    return rows[0]?.launch ?? undefined;
  },

  /** Removes a queued run that could not be put on the queue (the caller answers 503; nothing ran). */
  async removeQueued(em: EntityManager, orgId: string, runId: string): Promise<void> {
    await em.query(`DELETE FROM run WHERE org_id = $1 AND id = $2 AND status = 'queued'`, [orgId, runId]);
  },

  /** Inserts finished runs with their steps: two statements for the whole batch. */
  async insertFinished(em: EntityManager, items: { run: NewRun; end: RunEnd }[]): Promise<void> {
    if (!items.length) return;
    await em.query(`INSERT INTO run SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${RUN_COLUMNS})`, [
      JSON.stringify(items.map((i) => runRow(i.run, i.end))),
    ]);
    const steps = items.flatMap((i) => stepRows(i.run.orgId, i.run.id, i.end.steps));
    if (steps.length)
      await em.query(`INSERT INTO step_run SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${STEP_COLUMNS})`, [
        JSON.stringify(steps),
      ]);
  },

  /** Finishes a run that was written as running (one statement); a run already cancelled elsewhere keeps that status. */
  async finish(em: EntityManager, orgId: string, runId: string, end: RunEnd): Promise<void> {
    await em.query(
      `WITH u AS (
         UPDATE run SET status = CASE WHEN status = 'cancelled' THEN status ELSE $3 END, output = $4::jsonb, error_type = $5,
                error_message = $6, error_node_id = $7, started_at = $8, finished_at = $9, instance_id = NULL,
                launch = NULL
          WHERE org_id = $1 AND id = $2 RETURNING id)
       INSERT INTO step_run SELECT x.* FROM jsonb_to_recordset($10::jsonb) AS x(${STEP_COLUMNS}), u`,
      [
        orgId,
        runId,
        end.status,
        end.output === undefined ? null : JSON.stringify(end.output),
        end.error?.type ?? null,
        end.error?.message ?? null,
        end.error?.nodeId ?? null,
        end.startedAt.toISOString(),
        end.finishedAt.toISOString(),
        JSON.stringify(stepRows(orgId, runId, end.steps)),
      ],
    );
  },

  findByIdempotencyKey(em: EntityManager, orgId: string, flowId: string, key: string): Promise<RunEntity | null> {
    return em.getRepository(RunEntity).findOne({ where: { orgId, flowId, idempotencyKey: key } });
  },

  get(em: EntityManager, orgId: string, id: string): Promise<RunEntity | null> {
    return em.getRepository(RunEntity).findOne({ where: { orgId, id } });
  },

  steps(em: EntityManager, orgId: string, runId: string): Promise<StepRunEntity[]> {
    return em.getRepository(StepRunEntity).find({ where: { orgId, runId }, order: { seq: 'ASC' } });
  },

  /** Marks an unfinished run cancelled; false when it had already finished. */
  async cancel(em: EntityManager, orgId: string, runId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      // A CTE so the driver returns the rows (a bare UPDATE answers [rows, count]).
      `WITH u AS (UPDATE run SET status = 'cancelled', finished_at = now(), instance_id = NULL, launch = NULL
                   WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING id) SELECT id FROM u`,
      [orgId, runId],
    );
    return rows.length > 0;
  },
};
