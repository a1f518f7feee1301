import { callHook } from 'tenantflow/plugin-sdk';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';

describe('usage-meter', () => {
  it('declares the table its migration creates and counts through the org-scoped database handle', async () => {
    expect(plugin.requiredTables?.[0].name).toBe('plugin_usage_meter_counts');
    expect(new plugin.migrations![0]()).toHaveProperty('name', 'PluginUsageMeterCounts1765900000001');
    const queries: unknown[][] = [];
    const db = {
      query: async (sql: string, params?: unknown[]) => (queries.push([sql.replace(/\s+/g, ' ').trim(), params]), []),
    };
    const ctx = { run: { id: 'r', flowId: 'f', version: 1 }, node: { id: 'n', type: 'code', attempt: 1, params: {} } };
    expect(
      await callHook(plugin, 'beforeNodeExecute', { ctx: { ...ctx, org: { id: 'org-1' } }, db: db as never }),
    ).toEqual({ action: 'continue' });
    expect(queries).toHaveLength(1);
    expect(queries[0][1]).toEqual(['org-1', 'code']);
  });
});
