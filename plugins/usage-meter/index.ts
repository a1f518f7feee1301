import { definePlugin, protectOrgTable } from 'tenantflow/plugin-sdk';

const TABLE = 'plugin_usage_meter_counts';

/** The meter's own table: executions per node type per org, under row-level security like every org table. */
export class PluginUsageMeterCounts1765900000001 {
  name = 'PluginUsageMeterCounts1765900000001';

  async up(q: { query(sql: string): Promise<unknown> }): Promise<void> {
    await q.query(`
      CREATE TABLE ${TABLE} (
        org_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        node_type text NOT NULL,
        executions bigint NOT NULL DEFAULT 0,
        CONSTRAINT ${TABLE}_pk PRIMARY KEY (org_id, node_type)
      )`);
    await protectOrgTable(q as never, TABLE);
  }

  async down(q: { query(sql: string): Promise<unknown> }): Promise<void> {
    await q.query(`DROP TABLE ${TABLE}`);
  }
}

/** `beforeNodeExecute`, trusted: counts node executions per type in a table the plugin owns and declares. */
export default definePlugin({
  name: 'usage-meter',
  version: '1.0.0',
  priority: 1000,
  migrations: [PluginUsageMeterCounts1765900000001],
  requiredTables: [
    {
      name: TABLE,
      columns: [
        { name: 'org_id', type: 'uuid' },
        { name: 'node_type', type: 'text' },
        { name: 'executions', type: 'bigint' },
      ],
    },
  ],
  hooks: {
    async beforeNodeExecute(ctx, { db }) {
      await db.query(
        `INSERT INTO ${TABLE} (org_id, node_type, executions) VALUES ($1, $2, 1)
         ON CONFLICT (org_id, node_type) DO UPDATE SET executions = ${TABLE}.executions + 1`,
        [ctx.org.id, ctx.node.type],
      );
      return { action: 'continue' };
    },
  },
});
