import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * Connections: credentials flows use (API keys, basic, bearer, OAuth2, custom). `settings` holds only the
 * non-secret fields; the secret fields are one key-ring envelope in `secret_data`, OAuth2 tokens another in
 * `token_data`. Scope: one project, or the org (`project_id` NULL), optionally `predefined` for embedded projects.
 */
export class Connections1765700100000 implements MigrationInterface {
  name = 'Connections1765700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE connection (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        project_id uuid,
        name text NOT NULL,
        type text NOT NULL,
        predefined boolean NOT NULL DEFAULT false,
        allowed_project_ids uuid[],
        settings jsonb NOT NULL,
        secret_data text,
        token_data text,
        token_expires_at timestamptz,
        created_by_type text NOT NULL,
        created_by_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT connection_project_fk FOREIGN KEY (org_id, project_id) REFERENCES project (org_id, id) ON DELETE CASCADE,
        CONSTRAINT connection_type_check CHECK (type IN ('api_key', 'basic', 'bearer', 'oauth2', 'custom')),
        CONSTRAINT connection_predefined_org_only CHECK (NOT predefined OR project_id IS NULL),
        CONSTRAINT connection_pins_need_predefined CHECK (allowed_project_ids IS NULL OR predefined)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX connection_name_key ON connection (org_id, coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name))`,
    );
    await q.query(`CREATE INDEX connection_org_idx ON connection (org_id, id DESC)`);
    await protectOrgTable(q, 'connection');

    // OAuth2 authorization-code flows in progress: state (hashed), PKCE verifier (sealed), the browser binding.
    await q.query(`
      CREATE TABLE connection_oauth_flow (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        connection_id uuid NOT NULL REFERENCES connection(id) ON DELETE CASCADE,
        state_hash bytea NOT NULL,
        browser_hash bytea NOT NULL,
        verifier text NOT NULL,
        redirect_uri text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT connection_oauth_flow_state_key UNIQUE (org_id, state_hash)
      )`);
    await protectOrgTable(q, 'connection_oauth_flow');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS connection_oauth_flow`);
    await q.query(`DROP TABLE IF EXISTS connection`);
  }
}
