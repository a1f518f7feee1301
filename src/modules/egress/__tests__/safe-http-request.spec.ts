import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { safeHttpRequest, type SafeHttpRequestOptions } from '../index.js';
import { type LoopbackServer, startLoopbackServer } from './support/loopback-server.js';
import { testRoutes } from './support/test-routes.js';

// The allowlist re-permits 127.0.0.1, so these tests exercise the allowed path against real loopback
// servers without touching the internet.
const allowlist = ['127.0.0.1/32'];
let server: LoopbackServer;
let other: LoopbackServer; // same address, other port: a different origin

beforeAll(async () => {
  server = await startLoopbackServer(testRoutes);
  other = await startLoopbackServer(testRoutes);
});

afterAll(async () => {
  await Promise.all([server.close(), other.close()]);
});

beforeEach(() => {
  server.requests.length = 0;
  other.requests.length = 0;
});

const request = (path: string, options: Partial<SafeHttpRequestOptions> = {}) =>
  safeHttpRequest({ url: `${server.origin}${path}`, allowlist, ...options });

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

describe('safeHttpRequest on allowed targets', () => {
  it('returns status, headers, parsed JSON, the final URL and no redirects', async () => {
    const res = await request('/json');
    expect(res).toMatchObject({
      status: 200,
      statusText: 'OK',
      body: { ok: true, list: [1, 2] },
      url: `${server.origin}/json`,
      redirects: [],
    });
    expect(res.headers['content-type']).toBe('application/json');
    expect(server.requests[0].headers).toMatchObject({ host: `127.0.0.1:${server.port}`, 'user-agent': 'Tenantflow' });
  });

  it('decodes text in its charset, keeps bytes as a Buffer, and falls back to text for broken JSON', async () => {
    expect((await request('/text')).body).toBe('héllo');
    expect((await request('/latin1')).body).toBe('café');
    expect((await request('/bad-json')).body).toBe('{not json');
    expect((await request('/bin')).body).toEqual(Buffer.from([0, 1, 255]));
    expect(await request('/empty')).toMatchObject({ status: 204, body: '' });
    expect((await request('/gzip-json')).body).toEqual({ compressed: true });
  });

  it('reaches an allowlisted IPv6 literal', async () => {
    const v6 = await startLoopbackServer(testRoutes, '::1');
    try {
      const res = await safeHttpRequest({ url: `${v6.origin}/json`, allowlist: ['::1/128'] });
      expect(res).toMatchObject({ status: 200, url: `http://[::1]:${v6.port}/json` });
      expect(v6.requests[0].headers.host).toBe(`[::1]:${v6.port}`);
    } finally {
      await v6.close();
    }
  });

  it('returns HTTP error statuses as responses, not errors', async () => {
    const res = await request('/status?code=503');
    expect(res).toMatchObject({ status: 503, body: { error: 'nope' } });
  });

  it('sends an object body as JSON and a string body as given', async () => {
    const sent = await request('/echo', { method: 'post', body: { a: 1 } });
    expect(sent.body).toMatchObject({
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', 'content-length': '7' },
    });
    const text = await request('/echo', { method: 'PUT', body: 'a=1', headers: { 'Content-Type': 'text/x-custom' } });
    expect(text.body).toMatchObject({ method: 'PUT', body: 'a=1', headers: { 'content-type': 'text/x-custom' } });
  });

  it('ignores transport headers a flow tries to set (Host, framing)', async () => {
    const res = await request('/echo', {
      method: 'POST',
      body: 'abc',
      headers: { Host: 'evil.example', 'Content-Length': '999', 'Transfer-Encoding': 'chunked', 'X-Custom': 'yes' },
    });
    const echo = res.body as Echo;
    expect(echo.headers).toMatchObject({ host: `127.0.0.1:${server.port}`, 'content-length': '3', 'x-custom': 'yes' });
    expect(echo.headers['transfer-encoding']).toBeUndefined();
    expect(echo.body).toBe('abc');
  });
});

describe('safeHttpRequest redirects', () => {
  it('follows an allowed redirect and reports the chain', async () => {
    const to = encodeURIComponent(`${other.origin}/json`);
    const res = await request(`/redirect?status=301&to=${to}`);
    expect(res).toMatchObject({ status: 200, body: { ok: true }, url: `${other.origin}/json` });
    expect(res.redirects).toEqual([`${other.origin}/json`]);
    expect(server.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(1);
  });

  it('resolves relative locations against the current URL', async () => {
    const res = await request('/redirect?to=json');
    expect(res.url).toBe(`${server.origin}/json`);
  });

  it.each([
    [303, 'POST', 'GET', ''],
    [303, 'PUT', 'GET', ''],
    [303, 'DELETE', 'GET', ''],
    [302, 'POST', 'GET', ''],
    [301, 'POST', 'GET', ''],
    [302, 'PUT', 'PUT', 'payload'],
    [301, 'PATCH', 'PATCH', 'payload'],
    [307, 'POST', 'POST', 'payload'],
    [308, 'POST', 'POST', 'payload'],
    [308, 'PUT', 'PUT', 'payload'],
  ] as const)('%i after %s continues as %s', async (status, method, expectedMethod, expectedBody) => {
    const res = await request(`/redirect?status=${status}&to=/echo`, {
      method,
      body: 'payload',
      headers: { 'content-type': 'text/plain', 'content-language': 'en' },
    });
    const echo = res.body as Echo;
    expect(echo.method).toBe(expectedMethod);
    expect(echo.body).toBe(expectedBody);
    if (expectedMethod === 'GET') {
      expect(echo.headers['content-type']).toBeUndefined();
      expect(echo.headers['content-language']).toBeUndefined();
      expect(echo.headers['content-length']).toBeUndefined();
    } else {
      expect(echo.headers['content-type']).toBe('text/plain');
    }
  });

  const secrets = { Authorization: 'Bearer s3cret', Cookie: 'sid=1', 'Proxy-Authorization': 'Basic x', 'X-Trace': 't' };

  it('keeps credentials on a same-origin redirect', async () => {
    const res = await request('/redirect?to=/echo', { headers: secrets });
    expect((res.body as Echo).headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'sid=1' });
  });

  it('strips Authorization, Cookie and Proxy-Authorization on a cross-origin redirect, for good', async () => {
    // server -> other (cross-origin, stripped) -> back to server: fetch never restores them.
    const back = encodeURIComponent(`${server.origin}/echo`);
    const via = encodeURIComponent(`${other.origin}/redirect?to=${back}`);
    const res = await request(`/redirect?status=307&to=${via}`, { headers: secrets });
    expect(server.requests[0].headers.authorization).toBe('Bearer s3cret');
    for (const seen of [other.requests[0].headers, (res.body as Echo).headers]) {
      expect(seen.authorization).toBeUndefined();
      expect(seen.cookie).toBeUndefined();
      expect(seen['proxy-authorization']).toBeUndefined();
      expect(seen['x-trace']).toBe('t');
    }
    expect(res.redirects).toHaveLength(2);
  });
});
