import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * Identity and authorization: browser sessions, custom roles, project-level role assignments, and the user on
 * whose authority an API key exists. Composite foreign keys on (org_id, id) make a cross-org reference
 * impossible in the database itself (foreign-key checks bypass row-level security, so RLS alone would not).
 */
export class Identity1764100000000 implements MigrationInterface {
  name = 'Identity1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE app_user ADD CONSTRAINT app_user_org_id_key UNIQUE (org_id, id)`);
    await q.query(`ALTER TABLE project ADD CONSTRAINT project_org_id_key UNIQUE (org_id, id)`);
    await q.query(
      `ALTER TABLE app_user ADD CONSTRAINT app_user_email_normalized CHECK (email = lower(btrim(email)) AND email <> '')`,
    );

    await q.query(`ALTER TABLE api_key ADD COLUMN owner_user_id uuid`);
    await q.query(
      `ALTER TABLE api_key ADD CONSTRAINT api_key_owner_user_fk FOREIGN KEY (org_id, owner_user_id) REFERENCES app_user (org_id, id)`,
    );
    await q.query(`CREATE INDEX api_key_owner_user_idx ON api_key (owner_user_id) WHERE owner_user_id IS NOT NULL`);
    await q.query(`CREATE INDEX api_key_created_by_idx ON api_key (created_by_id) WHERE created_by_type = 'api_key'`);

    await q.query(`
      CREATE TABLE app_session (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        public_id text NOT NULL,
        secret_hash bytea NOT NULL,
        method text NOT NULL,
        ip text,
        user_agent text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        CONSTRAINT app_session_public_id_key UNIQUE (public_id),
        CONSTRAINT app_session_user_fk FOREIGN KEY (org_id, user_id) REFERENCES app_user (org_id, id) ON DELETE CASCADE,
        CONSTRAINT app_session_method_check CHECK (method IN ('saml', 'oidc', 'embed', 'test'))
      )`);
    await q.query(`CREATE INDEX app_session_user_idx ON app_session (org_id, user_id) WHERE revoked_at IS NULL`);
    await protectOrgTable(q, 'app_session');

    await q.query(`
      CREATE TABLE custom_role (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        permissions jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT custom_role_permissions_array CHECK (jsonb_typeof(permissions) = 'array'),
        CONSTRAINT custom_role_name_not_built_in CHECK (lower(name) NOT IN ('owner', 'admin', 'editor', 'viewer'))
      )`);
    await q.query(`CREATE UNIQUE INDEX custom_role_org_name_key ON custom_role (org_id, lower(name))`);
    await q.query(`CREATE INDEX custom_role_org_idx ON custom_role (org_id, id DESC)`);
    await protectOrgTable(q, 'custom_role');

    await q.query(`
      CREATE TABLE project_member (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        project_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT project_member_project_user_key UNIQUE (project_id, user_id),
        CONSTRAINT project_member_project_fk FOREIGN KEY (org_id, project_id) REFERENCES project (org_id, id) ON DELETE CASCADE,
        CONSTRAINT project_member_user_fk FOREIGN KEY (org_id, user_id) REFERENCES app_user (org_id, id) ON DELETE CASCADE,
        CONSTRAINT project_member_role_not_owner CHECK (role <> 'owner')
      )`);
    await q.query(`CREATE INDEX project_member_user_idx ON project_member (org_id, user_id)`);
    await q.query(`CREATE INDEX project_member_project_idx ON project_member (org_id, project_id, id DESC)`);
    await protectOrgTable(q, 'project_member');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['project_member', 'custom_role', 'app_session'])
      await q.query(`DROP TABLE IF EXISTS "${t}" CASCADE`);
    await q.query(`ALTER TABLE api_key DROP CONSTRAINT IF EXISTS api_key_owner_user_fk`);
    await q.query(`DROP INDEX IF EXISTS api_key_created_by_idx`);
    await q.query(`ALTER TABLE api_key DROP COLUMN IF EXISTS owner_user_id`);
    await q.query(`ALTER TABLE app_user DROP CONSTRAINT IF EXISTS app_user_email_normalized`);
    await q.query(`ALTER TABLE project DROP CONSTRAINT IF EXISTS project_org_id_key`);
    await q.query(`ALTER TABLE app_user DROP CONSTRAINT IF EXISTS app_user_org_id_key`);
  }
}
