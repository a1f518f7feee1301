// A bench plugin: an onRequest and an onAuthorize hook that let every request through (the host's overhead alone).
import { definePlugin } from 'tenantflow/plugin-sdk';

export default definePlugin({
  name: 'bench-sandboxed-1',
  version: '1.0.0',
  mode: 'sandboxed',
  budgets: { requestMs: 2000 },
  hooks: {
    onRequest(ctx) {
      return ctx.request.method === 'GET' ? { action: 'continue' } : undefined;
    },
    onAuthorize(ctx) {
      return ctx.action === 'read' ? { decision: 'abstain' } : { decision: 'allow' };
    },
  },
});
