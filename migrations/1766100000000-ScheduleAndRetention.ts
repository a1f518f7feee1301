import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scale-out support:
 * - `flow.enabled_at` and `organization.activated_at`, kept by triggers (whatever code flips the flag): a schedule
 *   catch-up never fires times from before a flow was last enabled or its org last reactivated, when it was off on
 *   purpose;
 * - an index for run-history retention (finished runs of an org by end time).
 */
export class ScheduleAndRetention1766100000000 implements MigrationInterface {
  name = 'ScheduleAndRetention1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE flow ADD COLUMN enabled_at timestamptz`);
    await q.query(`UPDATE flow SET enabled_at = updated_at WHERE enabled`);
    await q.query(`
      CREATE FUNCTION flow_set_enabled_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.enabled AND (TG_OP = 'INSERT' OR NOT OLD.enabled) THEN NEW.enabled_at := now(); END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER flow_enabled_at BEFORE INSERT OR UPDATE OF enabled ON flow
        FOR EACH ROW EXECUTE FUNCTION flow_set_enabled_at()`);

    await q.query(`ALTER TABLE organization ADD COLUMN activated_at timestamptz`);
    await q.query(`UPDATE organization SET activated_at = created_at WHERE status = 'active'`);
    await q.query(`
      CREATE FUNCTION organization_set_activated_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status <> 'active') THEN NEW.activated_at := now(); END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER organization_activated_at BEFORE INSERT OR UPDATE OF status ON organization
        FOR EACH ROW EXECUTE FUNCTION organization_set_activated_at()`);

    // Built in the migration's transaction (writes to run wait for it); run history is bounded by retention.
    await q.query(
      `CREATE INDEX run_retention_idx ON run (org_id, finished_at) WHERE status NOT IN ('queued', 'running')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS run_retention_idx`);
    await q.query(`DROP TRIGGER IF EXISTS organization_activated_at ON organization`);
    await q.query(`DROP FUNCTION IF EXISTS organization_set_activated_at()`);
    await q.query(`ALTER TABLE organization DROP COLUMN IF EXISTS activated_at`);
    await q.query(`DROP TRIGGER IF EXISTS flow_enabled_at ON flow`);
    await q.query(`DROP FUNCTION IF EXISTS flow_set_enabled_at()`);
    await q.query(`ALTER TABLE flow DROP COLUMN IF EXISTS enabled_at`);
  }
}
