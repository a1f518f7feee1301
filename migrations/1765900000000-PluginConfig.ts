import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/** Per-org enablement and settings of each loaded plugin (`PUT /api/v1/plugins/:pluginName/config`). */
export class PluginConfig1765900000000 implements MigrationInterface {
  name = 'PluginConfig1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE plugin_config (
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        plugin_name text NOT NULL CHECK (plugin_name ~ '^[a-z][a-z0-9-]{0,47}$'),
        enabled boolean NOT NULL DEFAULT false,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT plugin_config_pk PRIMARY KEY (org_id, plugin_name)
      )`);
    await protectOrgTable(q, 'plugin_config');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE plugin_config`);
  }
}
