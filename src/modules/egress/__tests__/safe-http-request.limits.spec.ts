import { promises as dns } from 'node:dns';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  EgressDeniedError,
  EgressError,
  EgressNetworkError,
  type EgressResolver,
  resolverFromDnsResolver,
  safeHttpRequest,
  type SafeHttpRequestOptions,
} from '../index.js';
import { startDnsServer, type TestDnsServer } from './support/dns-server.js';
import { type LoopbackServer, startLoopbackServer } from './support/loopback-server.js';
import { testRoutes } from './support/test-routes.js';

const allowlist = ['127.0.0.1/32'];
let server: LoopbackServer;
let victim: LoopbackServer; // 127.0.0.2, never allowlisted
let dnsServer: TestDnsServer;

beforeAll(async () => {
  server = await startLoopbackServer(testRoutes);
  victim = await startLoopbackServer(testRoutes, '127.0.0.2');
  dnsServer = await startDnsServer({ 'exists.test': { A: ['127.0.0.1'] } });
});

afterAll(async () => {
  await Promise.all([server.close(), victim.close(), dnsServer.close()]);
});

beforeEach(() => {
  server.requests.length = 0;
});

const request = (path: string, options: Partial<SafeHttpRequestOptions> = {}) =>
  safeHttpRequest({ url: `${server.origin}${path}`, allowlist, ...options });

async function failure(promise: Promise<unknown>): Promise<EgressError> {
  const error: unknown = await promise.then(
    () => new Error('the request did not fail'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EgressError);
  return error as EgressError;
}

describe('redirect limit', () => {
  it('stops a redirect loop after maxRedirects', async () => {
    const error = await failure(request('/loop', { maxRedirects: 2 }));
    expect(error).toBeInstanceOf(EgressDeniedError);
    expect(error.reason).toBe('too_many_redirects');
    expect(server.requests).toHaveLength(3); // the request and two followed redirects
  });

  it('refuses any redirect with maxRedirects 0', async () => {
    const error = await failure(request('/redirect?to=/json', { maxRedirects: 0 }));
    expect(error.reason).toBe('too_many_redirects');
    expect(server.requests).toHaveLength(1);
  });
});

describe('timeout', () => {
  it.each(['/hang', '/stall'])('ends %s at the deadline', async (path) => {
    const started = Date.now();
    const error = await failure(request(path, { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(EgressDeniedError);
    expect(error).toMatchObject({ reason: 'timeout', message: 'The request did not complete within 300 ms.' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('covers DNS resolution too', async () => {
    const never: EgressResolver = () => new Promise(() => {});
    const error = await failure(safeHttpRequest({ url: 'http://slow.test/', resolver: never, timeoutMs: 200 }));
    expect(error.reason).toBe('timeout');
  });

  it('stops on the caller signal with reason aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(request('/hang', { signal: controller.signal }));
    expect(error.reason).toBe('aborted');
  });
});

describe('response size cap', () => {
  it('allows a body of exactly maxResponseBytes', async () => {
    const res = await request('/sized?bytes=1024', { maxResponseBytes: 1024 });
    expect(res.body).toHaveLength(1024);
  });

  it.each([
    ['one byte over the cap', '/sized?bytes=1025'],
    ['a declared Content-Length over the cap', '/declared-big'],
    ['an endless chunked body', '/stream-big'],
    ['a gzip bomb (cap applies after decoding)', '/gzip-bomb'],
  ])('refuses %s', async (_name, path) => {
    const error = await failure(request(path, { maxResponseBytes: path.startsWith('/sized') ? 1024 : 1024 * 1024 }));
    expect(error).toBeInstanceOf(EgressDeniedError);
    expect(error.reason).toBe('response_too_large');
  });
});

describe('DNS pinning and hostname allowlist', () => {
  it('connects to the validated address with the hostname kept in Host', async () => {
    // The system resolver has never heard of internal.test: success means the socket used our answer.
    let calls = 0;
    const resolver: EgressResolver = async () => {
      calls += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const url = `http://internal.test:${server.port}/echo`;
    const res = await safeHttpRequest({ url, allowlist: ['internal.test'], resolver });
    expect(res.status).toBe(200);
    expect(server.requests[0].headers.host).toBe(`internal.test:${server.port}`);
    expect(calls).toBe(1);
    const refused = await failure(safeHttpRequest({ url, allowlist: ['other.test'], resolver }));
    expect(refused.reason).toBe('address_forbidden');
  });

  it('re-resolves and re-checks on each hop, so a rebinding name is caught at the redirect', async () => {
    // First answer allowed, every later answer the forbidden 127.0.0.2: the first hop must be the only
    // one resolved before connecting, and the redirect hop must see (and refuse) the new answer.
    const answers = ['127.0.0.1'];
    const resolver: EgressResolver = async () => [{ address: answers.shift() ?? '127.0.0.2', family: 4 }];
    const url = `http://rebind.test:${server.port}/redirect?to=/echo`;
    const error = await failure(safeHttpRequest({ url, allowlist, resolver }));
    expect(error.reason).toBe('address_forbidden');
    expect(server.requests).toHaveLength(1);
    expect(victim.connections).toBe(0);
  });
});

describe('network failures', () => {
  it('reports a refused connection as connection_failed', async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(safeHttpRequest({ url: `http://127.0.0.1:${port}/`, allowlist }));
    expect(error).toBeInstanceOf(EgressNetworkError);
    expect(error).toMatchObject({ reason: 'connection_failed' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('reports an unknown name as dns_failed (real DNS answering NXDOMAIN)', async () => {
    const dnsResolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    dnsResolver.setServers([dnsServer.address]);
    const resolver = resolverFromDnsResolver(dnsResolver);
    const error = await failure(safeHttpRequest({ url: 'http://missing.test/', resolver }));
    expect(error).toBeInstanceOf(EgressNetworkError);
    expect(error.reason).toBe('dns_failed');
    const found = await safeHttpRequest({ url: `http://exists.test:${server.port}/json`, resolver, allowlist });
    expect(found.body).toEqual({ ok: true, list: [1, 2] });
  });
});

describe('request validation', () => {
  it.each([
    [{ method: 'CONNECT' }, 'invalid_request'],
    [{ method: 'TRACE' }, 'invalid_request'],
    [{ timeoutMs: 0 }, 'invalid_request'],
    [{ timeoutMs: 2 ** 31 }, 'invalid_request'],
    [{ maxResponseBytes: -1 }, 'invalid_request'],
    [{ maxRedirects: 1.5 }, 'invalid_request'],
    [{ allowlist: ['10.0.0.0/99'] }, 'invalid_request'],
    [{ headers: { 'x-bad': 'a\r\nInjected: 1' } }, 'invalid_request'],
    [{ headers: { 'bad header': 'x' } }, 'invalid_request'],
  ] as [Partial<SafeHttpRequestOptions>, string][])('%j is refused with %s', async (options, reason) => {
    const error = await failure(request('/json', options));
    expect(error.reason).toBe(reason);
    expect(error.message).not.toContain('Injected');
    expect(server.requests).toHaveLength(0);
  });
});
