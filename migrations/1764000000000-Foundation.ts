import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/** Roles, organizations, platform keys, users, projects and API keys, with row-level security. */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // Roles are cluster-wide: tolerate another database (or a concurrent migration) having created them.
    for (const role of ['tenantflow_app', 'tenantflow_maintenance']) {
      await q.query(`DO $$ BEGIN CREATE ROLE ${role} NOLOGIN NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
      await q.query(`DO $$ BEGIN EXECUTE format('GRANT ${role} TO %I', current_user);
        EXCEPTION WHEN OTHERS THEN NULL; END $$`);
    }
    await q.query(`DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO tenantflow_app', current_schema()); END $$`);

    await q.query(`
      CREATE TABLE organization (
        id uuid PRIMARY KEY,
        slug text NOT NULL,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        settings jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT organization_slug_key UNIQUE (slug),
        CONSTRAINT organization_slug_format CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
        CONSTRAINT organization_status_check CHECK (status IN ('active', 'suspended'))
      )`);
    // The organization row is its own tenant: the runtime role sees only the org in context.
    await protectOrgTable(q, 'organization', 'id');

    await q.query(`
      CREATE TABLE platform_key (
        id uuid PRIMARY KEY,
        public_id text NOT NULL,
        secret_hash bytea NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        last_used_at timestamptz,
        CONSTRAINT platform_key_public_id_key UNIQUE (public_id)
      )`);

    await q.query(`
      CREATE TABLE app_user (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        email text NOT NULL,
        display_name text,
        role text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT app_user_org_email_key UNIQUE (org_id, email),
        CONSTRAINT app_user_status_check CHECK (status IN ('active', 'deactivated'))
      )`);
    await protectOrgTable(q, 'app_user');

    await q.query(`
      CREATE TABLE project (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT project_org_name_key UNIQUE (org_id, name)
      )`);
    await q.query(`CREATE INDEX project_org_created_idx ON project (org_id, id DESC)`);
    await protectOrgTable(q, 'project');

    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        public_id text NOT NULL,
        secret_hash bytea NOT NULL,
        previous_secret_hash bytea,
        previous_valid_until timestamptz,
        name text NOT NULL,
        role text NOT NULL,
        project_id uuid REFERENCES project(id) ON DELETE CASCADE,
        scopes text[],
        expires_at timestamptz,
        revoked_at timestamptz,
        created_by_type text NOT NULL,
        created_by_id uuid,
        last_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT api_key_public_id_key UNIQUE (public_id)
      )`);
    await q.query(`CREATE INDEX api_key_org_idx ON api_key (org_id, id DESC)`);
    await protectOrgTable(q, 'api_key');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['api_key', 'project', 'app_user', 'platform_key', 'organization']) {
      await q.query(`DROP TABLE IF EXISTS "${t}" CASCADE`);
    }
  }
}
