import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * Single sign-on: per-org IdP configuration, the identity links (org, provider, issuer, subject) → user, and the
 * short-lived protocol state every instance shares (SAML request ids, seen assertion ids, OIDC flows).
 */
export class Sso1764200000000 implements MigrationInterface {
  name = 'Sso1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sso_config (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        protocol text NOT NULL,
        enabled boolean NOT NULL,
        settings jsonb NOT NULL,
        secret_ciphertext text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT sso_config_org_protocol_key UNIQUE (org_id, protocol),
        CONSTRAINT sso_config_protocol_check CHECK (protocol IN ('saml', 'oidc'))
      )`);
    await protectOrgTable(q, 'sso_config');

    // Subjects are compared byte for byte (deterministic collation): no case folding or normalisation.
    await q.query(`
      CREATE TABLE sso_identity (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
        provider text NOT NULL,
        issuer text NOT NULL,
        subject text NOT NULL,
        email text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        CONSTRAINT sso_identity_subject_key UNIQUE (org_id, provider, issuer, subject),
        CONSTRAINT sso_identity_provider_check CHECK (provider IN ('saml', 'oidc', 'google', 'github'))
      )`);
    await q.query(`CREATE INDEX sso_identity_user_idx ON sso_identity (org_id, user_id)`);
    await protectOrgTable(q, 'sso_identity');

    await q.query(`
      CREATE TABLE sso_saml_request (
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        request_id text NOT NULL,
        return_to text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT sso_saml_request_pkey PRIMARY KEY (org_id, request_id)
      )`);
    await protectOrgTable(q, 'sso_saml_request');

    await q.query(`
      CREATE TABLE sso_saml_assertion (
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        assertion_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT sso_saml_assertion_pkey PRIMARY KEY (org_id, assertion_id)
      )`);
    await protectOrgTable(q, 'sso_saml_assertion');

    await q.query(`
      CREATE TABLE sso_oidc_flow (
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        state text NOT NULL,
        binding_hash bytea NOT NULL,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        return_to text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT sso_oidc_flow_pkey PRIMARY KEY (org_id, state)
      )`);
    await protectOrgTable(q, 'sso_oidc_flow');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['sso_oidc_flow', 'sso_saml_assertion', 'sso_saml_request', 'sso_identity', 'sso_config']) {
      await q.query(`DROP TABLE IF EXISTS "${t}" CASCADE`);
    }
  }
}
