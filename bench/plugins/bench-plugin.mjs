// The bench plugins: an onRequest and an onAuthorize hook that let every request through (the host's overhead alone).
import { definePlugin } from 'tenantflow/plugin-sdk';

export const benchPlugin = (mode, n) =>
  definePlugin({
    name: `bench-${mode}-${n}`,
    version: '1.0.0',
    mode,
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
