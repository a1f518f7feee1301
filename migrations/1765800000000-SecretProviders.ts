import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * Per-org secret providers (Vault, AWS Secrets Manager, environment). `config` never holds a credential; `auth` is
 * sealed apart (write-only). The name is what `{{ secrets.<name>.<path>#<key> }}` references use.
 */
export class SecretProviders1765800000000 implements MigrationInterface {
  name = 'SecretProviders1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE secret_provider (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        name text NOT NULL,
        type text NOT NULL,
        config jsonb NOT NULL,
        auth_method text NOT NULL,
        auth_ciphertext text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT secret_provider_org_name_key UNIQUE (org_id, name),
        CONSTRAINT secret_provider_type_check CHECK (type IN ('vault', 'aws', 'env')),
        CONSTRAINT secret_provider_auth_method_check CHECK (auth_method IN ('token', 'approle', 'static', 'default_chain', 'none')),
        CONSTRAINT secret_provider_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')
      )`);
    await protectOrgTable(q, 'secret_provider');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE secret_provider`);
  }
}
