import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * The key ring's per-org data keys (envelope encryption): each wrapped by a master key, one active per org.
 * Deleting an org's rows here makes its ciphertexts unreadable.
 */
export class KeyRing1765700000000 implements MigrationInterface {
  name = 'KeyRing1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE org_data_key (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        master_key_id text NOT NULL,
        wrapped_key text NOT NULL,
        active boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        CONSTRAINT org_data_key_retired_check CHECK (active = (retired_at IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX org_data_key_active_key ON org_data_key (org_id) WHERE active`);
    await protectOrgTable(q, 'org_data_key');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS org_data_key`);
  }
}
