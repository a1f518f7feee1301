import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The run queue (`TENANTFLOW_MODE=api|worker`): a queued run keeps what its worker needs (`launch`, sealed with the
 * master key, cleared when a worker claims the run), so PostgreSQL, not Redis, is the durable record of an accepted
 * run; queued runs whose job was lost (a Redis restart) are found by the partial index and queued again.
 */
export class RunQueue1766200000000 implements MigrationInterface {
  name = 'RunQueue1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run ADD COLUMN launch text`);
    await q.query(`CREATE INDEX run_queued_idx ON run (created_at) WHERE status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX run_queued_idx`);
    await q.query(`ALTER TABLE run DROP COLUMN launch`);
  }
}
