import { callHook } from 'tenantflow/plugin-sdk';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';

const run = { id: 'r', flowId: 'f', version: 1 };

describe('pii-redactor', () => {
  it('masks e-mail addresses anywhere in an http.request body and leaves other nodes alone', async () => {
    const params = {
      method: 'POST',
      url: 'https://x.test',
      body: { a: 'mail bob@example.com', list: ['c@d.io', 3], nested: { e: 'no mail' } },
    };
    const r = await callHook(plugin, 'beforeNodeExecute', {
      ctx: { run, node: { id: 'n', type: 'http.request', attempt: 1, params }, config: { mask: '***' } },
    });
    expect(r).toEqual({
      action: 'replaceParams',
      params: { ...params, body: { a: 'mail ***', list: ['***', 3], nested: { e: 'no mail' } } },
    });
    const other = await callHook(plugin, 'beforeNodeExecute', {
      ctx: { run, node: { id: 'n', type: 'transform', attempt: 1, params: { fields: { e: 'a@b.co' } } } },
    });
    expect(other).toEqual({ action: 'continue' });
  });
});
