import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertEgressAllowed,
  createEgressFetch,
  EgressDeniedError,
  egressRefusalOf,
  egressRefusedEvent,
} from '../index.js';
import { type LoopbackServer, startLoopbackServer } from './support/loopback-server.js';

let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopbackServer((req, res, body) => {
    if (req.url === '/json') {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(gzipSync(JSON.stringify({ issuer: 'x', echo: body, type: req.headers['content-type'] ?? null })));
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/json' }).end();
    } else if (req.url === '/empty') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
    }
  });
});
afterAll(() => server.close());

describe('createEgressFetch', () => {
  const allowed = createEgressFetch({ allowlist: () => ['127.0.0.1'] });

  it('answers like fetch: status, decoded body, headers, form bodies', async () => {
    const res = await allowed(`${server.origin}/json`, {
      method: 'POST',
      body: new URLSearchParams({ a: 'b c' }),
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({
      issuer: 'x',
      echo: 'a=b+c',
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
    });
    expect((await allowed(`${server.origin}/missing`)).status).toBe(404);
    expect((await allowed(`${server.origin}/empty`)).status).toBe(204);
  });

  it('follows redirects through the guard, and refuses them when the caller asked for manual handling', async () => {
    expect((await allowed(`${server.origin}/moved`)).status).toBe(200);
    await expect(allowed(`${server.origin}/moved`, { redirect: 'manual' })).rejects.toMatchObject({
      reason: 'too_many_redirects',
    });
  });

  it('refuses a non-allowlisted address before connecting, reports it, and reads the allowlist on every call', async () => {
    let list: string[] = [];
    const seen: unknown[] = [];
    const f = createEgressFetch({ allowlist: () => list, onError: (e) => void seen.push(e) });
    const before = server.connections;
    const error = await f(`${server.origin}/json`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EgressDeniedError);
    expect(egressRefusalOf(new Error('wrapped', { cause: error }))).toEqual({
      reason: 'address_forbidden',
      addressClass: 'loopback',
    });
    expect(seen).toEqual([error]);
    expect(server.connections).toBe(before);
    list = ['127.0.0.0/8'];
    expect((await f(`${server.origin}/json`)).status).toBe(200);
  });

  it('builds an audit event with the address class and never the address', () => {
    const event = egressRefusedEvent(
      'org-1',
      { reason: 'address_forbidden', addressClass: 'private' },
      { source: 'flow_run', nodeId: 'n1', runId: 'r1' },
    );
    expect(event).toMatchObject({
      action: 'egress.refused',
      orgId: 'org-1',
      resourceType: 'egress',
      outcome: 'denied',
      metadata: { addressClass: 'private', nodeId: 'n1' },
    });
    expect(JSON.stringify(event)).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
    expect(egressRefusalOf(new EgressDeniedError('timeout', 'slow'))).toBeNull();
  });
});

describe('assertEgressAllowed', () => {
  it('refuses loopback, private and metadata literals unless allowlisted (metadata never), passes unresolvable names', async () => {
    await expect(assertEgressAllowed('http://127.0.0.1:5432/', [])).rejects.toMatchObject({
      reason: 'address_forbidden',
      addressCategory: 'loopback',
    });
    await expect(assertEgressAllowed('http://10.1.2.3/', [])).rejects.toMatchObject({ addressCategory: 'private' });
    await expect(assertEgressAllowed('http://169.254.169.254/', ['169.254.0.0/16'])).rejects.toMatchObject({
      addressCategory: 'cloud_metadata',
    });
    await expect(assertEgressAllowed('http://localhost:6379/', [])).rejects.toMatchObject({
      reason: 'address_forbidden',
    });
    await expect(assertEgressAllowed('file:///etc/passwd', [])).rejects.toMatchObject({ reason: 'scheme_forbidden' });
    await expect(assertEgressAllowed('http://127.0.0.1:5432/', ['127.0.0.1'])).resolves.toBeUndefined();
    await expect(assertEgressAllowed('https://issuer.invalid/', [])).resolves.toBeUndefined();
  });
});
