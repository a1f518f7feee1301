import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/** Runs (pinned to a flow version or the draft) and their step records, with row-level security. */
export class Runs1764500000000 implements MigrationInterface {
  name = 'Runs1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE run (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        project_id uuid NOT NULL,
        flow_id uuid NOT NULL REFERENCES flow(id) ON DELETE CASCADE,
        flow_version integer,
        trigger_type text NOT NULL,
        status text NOT NULL,
        input jsonb,
        output jsonb,
        error_type text,
        error_message text,
        error_node_id text,
        idempotency_key text,
        request_hash text,
        instance_id text,
        created_by_type text,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT run_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
        CONSTRAINT run_trigger_type_check CHECK (trigger_type IN ('webhook', 'manual', 'schedule')),
        CONSTRAINT run_error_type_check CHECK (error_type IS NULL OR error_type IN ('timeout', 'memory', 'user_error', 'node_error', 'limit')),
        CONSTRAINT run_version_check CHECK (flow_version IS NULL OR flow_version > 0),
        CONSTRAINT run_idempotency_key UNIQUE (org_id, flow_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX run_flow_idx ON run (org_id, flow_id, id DESC)`);
    // Crash recovery and the stale-run sweep look only at unfinished runs.
    await q.query(`CREATE INDEX run_active_idx ON run (instance_id, started_at) WHERE status IN ('queued', 'running')`);
    await protectOrgTable(q, 'run');

    await q.query(`
      CREATE TABLE step_run (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        node_id text NOT NULL,
        node_type text NOT NULL,
        attempt integer NOT NULL,
        iteration integer,
        status text NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        output jsonb,
        error_type text,
        error_message text,
        CONSTRAINT step_run_status_check CHECK (status IN ('succeeded', 'failed')),
        CONSTRAINT step_run_seq_key UNIQUE (run_id, seq)
      )`);
    await protectOrgTable(q, 'step_run');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS step_run`);
    await q.query(`DROP TABLE IF EXISTS run`);
  }
}
