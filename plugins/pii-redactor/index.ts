import { definePlugin } from 'tenantflow/plugin-sdk';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

function mask(value: unknown, mark: string): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, mark);
  if (Array.isArray(value)) return value.map((v) => mask(v, mark));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, mark)]));
  return value;
}

/** `beforeNodeExecute`: e-mail addresses in the bodies of `http.request` nodes are masked before they leave. */
export default definePlugin<{ mask?: string }>({
  name: 'pii-redactor',
  version: '1.0.0',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { mask: { type: 'string', maxLength: 64 } },
  },
  hooks: {
    beforeNodeExecute(ctx) {
      if (ctx.node.type !== 'http.request' || ctx.node.params.body === undefined) return { action: 'continue' };
      const body = mask(ctx.node.params.body, ctx.config.mask ?? '[email]');
      return { action: 'replaceParams', params: { ...ctx.node.params, body } };
    },
  },
});
