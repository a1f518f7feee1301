import { callHook } from 'tenantflow/plugin-sdk';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';

const request = (ip: string) => ({ method: 'GET', path: '/api/v1/projects', ip, headers: {}, query: {} });
const principal = { type: 'api_key' as const, id: 'k' };

describe('ip-allowlist', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['::ffff:10.1.2.3', ['10.0.0.0/8'], true],
    ['192.168.1.1', ['10.0.0.0/8'], false],
    ['::1', ['::1'], true],
    ['2001:db8::5', ['2001:db8::/32'], true],
    ['127.0.0.1', [], false],
  ])('%s with %j → allowed %s', async (ip, allow, ok) => {
    const r = await callHook(plugin, 'onRequest', { ctx: { principal, request: request(ip), config: { allow } } });
    if (ok) expect(r).toEqual({ action: 'continue' });
    else expect(r).toMatchObject({ action: 'answer', status: 403, body: { code: 'ip_not_allowed' } });
  });
});
