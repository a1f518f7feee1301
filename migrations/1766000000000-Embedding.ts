import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * Embedding: orgs register public keys that sign embed tokens; a token opens a bearer session (`tfe_`) bound to
 * one project, for an external user provisioned by the token's `sub` and a project keyed by `externalProjectId`.
 */
export class Embedding1766000000000 implements MigrationInterface {
  name = 'Embedding1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE embed_key (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        kid text NOT NULL CHECK (length(kid) BETWEEN 1 AND 128),
        alg text NOT NULL CHECK (alg IN ('RS256', 'ES256')),
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT embed_key_org_kid_key UNIQUE (org_id, kid)
      )`);
    await protectOrgTable(q, 'embed_key');
    await q.query(`
      CREATE TABLE embed_settings (
        org_id uuid PRIMARY KEY REFERENCES organization(id) ON DELETE CASCADE,
        allowed_origins text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await protectOrgTable(q, 'embed_settings');
    // Token ids seen, until their expiry (the PostgreSQL store; with REDIS_URL they are kept in Redis).
    await q.query(`
      CREATE TABLE embed_jti (
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        jti text NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT embed_jti_pk PRIMARY KEY (org_id, jti)
      )`);
    await protectOrgTable(q, 'embed_jti');
    await q.query(`ALTER TABLE app_user ADD COLUMN external_subject text`);
    await q.query(
      `CREATE UNIQUE INDEX app_user_org_external_subject_key ON app_user (org_id, external_subject) WHERE external_subject IS NOT NULL`,
    );
    await q.query(`ALTER TABLE project ADD COLUMN external_id text`);
    await q.query(
      `CREATE UNIQUE INDEX project_org_external_id_key ON project (org_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE app_session ADD COLUMN project_id uuid REFERENCES project(id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE app_session ADD COLUMN embed_role text`);
    await q.query(`ALTER TABLE app_session ADD CONSTRAINT app_session_embed_check
      CHECK ((method = 'embed') = (project_id IS NOT NULL AND embed_role IN ('editor', 'viewer')))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE app_session DROP CONSTRAINT app_session_embed_check`);
    await q.query(`ALTER TABLE app_session DROP COLUMN embed_role`);
    await q.query(`ALTER TABLE app_session DROP COLUMN project_id`);
    await q.query(`DROP INDEX project_org_external_id_key`);
    await q.query(`ALTER TABLE project DROP COLUMN external_id`);
    await q.query(`DROP INDEX app_user_org_external_subject_key`);
    await q.query(`ALTER TABLE app_user DROP COLUMN external_subject`);
    await q.query(`DROP TABLE embed_jti`);
    await q.query(`DROP TABLE embed_settings`);
    await q.query(`DROP TABLE embed_key`);
  }
}
