import { definePlugin } from 'tenantflow/plugin-sdk';

/** Settings: publishing is open from `startHour` (inclusive) to `endHour` (exclusive), at a fixed UTC offset. */
export interface PublishWindowConfig {
  startHour: number;
  endHour: number;
  utcOffsetMinutes?: number;
}

/**
 * `onAuthorize`, sandboxed: publishing (and so rolling back) a flow is refused outside the configured hours. The
 * hook runs in isolated-vm, so it is self-contained: no imports or outer variables, JSON in and out.
 */
export default definePlugin<PublishWindowConfig>({
  name: 'publish-window',
  version: '1.0.0',
  mode: 'sandboxed',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['startHour', 'endHour'],
    properties: {
      startHour: { type: 'integer', minimum: 0, maximum: 23 },
      endHour: { type: 'integer', minimum: 0, maximum: 24 },
      utcOffsetMinutes: { type: 'integer', minimum: -840, maximum: 840 },
    },
  },
  hooks: {
    onAuthorize(ctx) {
      if (ctx.subject !== 'Flow' || ctx.action !== 'publish') return { decision: 'abstain' };
      const hour = new Date(Date.now() + (ctx.config.utcOffsetMinutes ?? 0) * 60_000).getUTCHours();
      const { startHour, endHour } = ctx.config;
      const open = startHour <= endHour ? hour >= startHour && hour < endHour : hour >= startHour || hour < endHour;
      return open ? { decision: 'allow' } : { decision: 'deny', reason: 'outside_publish_window' };
    },
  },
});
