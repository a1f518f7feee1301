import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * Flows (with their one draft), immutable published versions and flow-level shares, with row-level security.
 * Two database walls keep history honest: a version row can never be updated, and it can be deleted only by the
 * cascade of its flow's deletion; a flow can be hard-deleted by the runtime role only through the cascade of its
 * project or org (the API deletes flows softly so their runs stay for retention).
 */
export class Flows1764400000000 implements MigrationInterface {
  name = 'Flows1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE flow (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        project_id uuid NOT NULL REFERENCES project(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        enabled boolean NOT NULL DEFAULT false,
        published_version integer,
        draft jsonb NOT NULL,
        draft_revision integer NOT NULL DEFAULT 1,
        draft_updated_at timestamptz NOT NULL DEFAULT now(),
        created_by_type text NOT NULL,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT flow_draft_revision_check CHECK (draft_revision > 0),
        CONSTRAINT flow_published_version_check CHECK (published_version IS NULL OR published_version > 0),
        CONSTRAINT flow_org_id_key UNIQUE (org_id, id),
        CONSTRAINT flow_enabled_needs_version CHECK (NOT enabled OR published_version IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX flow_project_idx ON flow (org_id, project_id, id DESC) WHERE deleted_at IS NULL`);
    await protectOrgTable(q, 'flow');

    await q.query(`
      CREATE TABLE flow_version (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        flow_id uuid NOT NULL,
        version integer NOT NULL,
        schema_version integer NOT NULL,
        definition jsonb NOT NULL,
        definition_hash text NOT NULL,
        message text,
        rolled_back_from integer,
        created_by_type text NOT NULL,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- Composite key: a version always belongs to a flow of its own org.
        CONSTRAINT flow_version_flow_fkey FOREIGN KEY (org_id, flow_id) REFERENCES flow (org_id, id) ON DELETE CASCADE,
        CONSTRAINT flow_version_flow_version_key UNIQUE (flow_id, version),
        CONSTRAINT flow_version_version_check CHECK (version > 0)
      )`);
    await q.query(`CREATE INDEX flow_version_org_idx ON flow_version (org_id, flow_id, id DESC)`);
    await protectOrgTable(q, 'flow_version');

    // pg_trigger_depth() > 1: the delete runs inside the foreign-key cascade of a parent row's deletion.
    await q.query(`
      CREATE FUNCTION flow_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'flow versions are immutable (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await q.query(`
      CREATE TRIGGER flow_version_immutable BEFORE UPDATE OR DELETE ON flow_version
        FOR EACH ROW EXECUTE FUNCTION flow_version_immutable()`);
    await q.query(`
      CREATE FUNCTION flow_soft_delete_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF pg_trigger_depth() > 1 OR current_user <> 'tenantflow_app' THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'flows are deleted softly (set deleted_at)' USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await q.query(
      `CREATE TRIGGER flow_soft_delete_only BEFORE DELETE ON flow FOR EACH ROW EXECUTE FUNCTION flow_soft_delete_only()`,
    );

    await q.query(`
      CREATE TABLE flow_share (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        flow_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
        role text NOT NULL,
        created_by_type text NOT NULL,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT flow_share_flow_fkey FOREIGN KEY (org_id, flow_id) REFERENCES flow (org_id, id) ON DELETE CASCADE,
        CONSTRAINT flow_share_flow_user_key UNIQUE (flow_id, user_id),
        CONSTRAINT flow_share_role_check CHECK (role IN ('editor', 'viewer'))
      )`);
    await q.query(`CREATE INDEX flow_share_user_idx ON flow_share (org_id, user_id)`);
    await protectOrgTable(q, 'flow_share');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS flow_share`);
    await q.query(`DROP TABLE IF EXISTS flow_version`);
    await q.query(`DROP TABLE IF EXISTS flow`);
    await q.query(`DROP FUNCTION IF EXISTS flow_version_immutable()`);
    await q.query(`DROP FUNCTION IF EXISTS flow_soft_delete_only()`);
  }
}
