import { promises as dns } from 'node:dns';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { EgressDeniedError, type EgressResolver, resolverFromDnsResolver, safeHttpRequest } from '../index.js';
import { startDnsServer, type TestDnsServer } from './support/dns-server.js';
import { type LoopbackServer, startLoopbackServer } from './support/loopback-server.js';

// Every refusal here must happen before any socket is opened: the loopback listeners count connections
// and requests, and a spy on Socket#connect proves no connection was even attempted elsewhere.
let listener: LoopbackServer; // 127.0.0.1
let listener6: LoopbackServer; // ::1
let victim: LoopbackServer; // 127.0.0.2, never allowlisted
let dnsServer: TestDnsServer;
let resolver: EgressResolver;
let connectSpy: MockInstance;

beforeAll(async () => {
  listener = await startLoopbackServer();
  listener6 = await startLoopbackServer(undefined, '::1');
  victim = await startLoopbackServer(undefined, '127.0.0.2');
  dnsServer = await startDnsServer({
    'loopback.test': { A: ['127.0.0.1'] },
    'loopback6.test': { AAAA: ['::1'] },
    'mapped.test': { AAAA: ['::ffff:127.0.0.1'] },
    'private.test': { A: ['10.0.0.7'] },
    'metadata.test': { A: ['169.254.169.254'] },
    'mixed.test': { A: ['93.184.215.14', '127.0.0.1'] },
    'victim.test': { A: ['127.0.0.2'] },
  });
  const dnsResolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  dnsResolver.setServers([dnsServer.address]);
  resolver = resolverFromDnsResolver(dnsResolver);
});

afterAll(async () => {
  await Promise.all([listener.close(), listener6.close(), victim.close(), dnsServer.close()]);
});

beforeEach(() => {
  connectSpy = vi.spyOn(net.Socket.prototype, 'connect');
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function refusal(request: Promise<unknown>): Promise<EgressDeniedError> {
  const error: unknown = await request.then(
    () => new Error('the request was not refused'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EgressDeniedError);
  return error as EgressDeniedError;
}

function expectNoTrafficTo(...servers: LoopbackServer[]): void {
  for (const server of servers) {
    expect(server.connections, `${server.origin} saw a connection`).toBe(0);
    expect(server.requests, `${server.origin} saw a request`).toHaveLength(0);
  }
}

describe('safeHttpRequest refuses internal targets before connecting', () => {
  const p = (): number => listener.port;
  const p6 = (): number => listener6.port;
  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${p()}/`],
    ['localhost (system resolver)', () => `http://localhost:${p()}/`],
    ['[::1]', () => `http://[::1]:${p6()}/`],
    ['[0:0:0:0:0:0:0:1]', () => `http://[0:0:0:0:0:0:0:1]:${p6()}/`],
    ['decimal 2130706433', () => `http://2130706433:${p()}/`],
    ['octal 0177.0.0.1', () => `http://0177.0.0.1:${p()}/`],
    ['octal 017700000001', () => `http://017700000001:${p()}/`],
    ['hex 0x7f.0.0.1', () => `http://0x7f.0.0.1:${p()}/`],
    ['hex 0x7f000001', () => `http://0x7f000001:${p()}/`],
    ['shortened 127.1', () => `http://127.1:${p()}/`],
    ['IPv4-mapped [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${p()}/`],
    ['IPv4-mapped [::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${p()}/`],
    ['IPv4-compatible [::127.0.0.1]', () => `http://[::127.0.0.1]:${p()}/`],
    ['NAT64 [64:ff9b::7f00:1]', () => `http://[64:ff9b::7f00:1]:${p()}/`],
    ['6to4 [2002:7f00:1::]', () => `http://[2002:7f00:1::]:${p()}/`],
    ['0.0.0.0 (reaches loopback on Linux)', () => `http://0.0.0.0:${p()}/`],
    ['0 (0.0.0.0)', () => `http://0:${p()}/`],
    ['[::]', () => `http://[::]:${p6()}/`],
    ['10.0.0.1', () => 'http://10.0.0.1/'],
    ['10.255.255.254', () => 'http://10.255.255.254/'],
    ['10.1 (10.0.0.1)', () => 'http://10.1/'],
    ['decimal 167772161 (10.0.0.1)', () => 'http://167772161/'],
    ['172.16.0.1', () => 'http://172.16.0.1/'],
    ['172.31.255.254', () => 'http://172.31.255.254/'],
    ['hex 0xac.0x10.0.1 (172.16.0.1)', () => 'http://0xac.0x10.0.1/'],
    ['192.168.0.1', () => 'http://192.168.0.1/'],
    ['octal 0300.0250.0.1 (192.168.0.1)', () => 'http://0300.0250.0.1/'],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
    ['decimal 2852039166 (169.254.169.254)', () => 'http://2852039166/'],
    ['169.254.43518 (169.254.169.254)', () => 'http://169.254.43518/'],
    ['[::ffff:a9fe:a9fe] (169.254.169.254)', () => 'http://[::ffff:a9fe:a9fe]/'],
    ['[fd00:ec2::254]', () => 'http://[fd00:ec2::254]/'],
    ['100.100.100.200', () => 'http://100.100.100.200/'],
    ['100.64.0.1 (CGNAT)', () => 'http://100.64.0.1/'],
    ['[fe80::1]', () => 'http://[fe80::1]/'],
    ['[fd12::1]', () => 'http://[fd12::1]/'],
    ['https://127.0.0.1', () => `https://127.0.0.1:${p()}/`],
  ])('%s', async (_name, url) => {
    const error = await refusal(safeHttpRequest({ url: url(), maxRedirects: 5 }));
    expect(error.reason).toBe('address_forbidden');
    expect(connectSpy).not.toHaveBeenCalled();
    expectNoTrafficTo(listener, listener6);
  });

  it('localhost. (trailing dot) is refused or unresolvable, never reached', async () => {
    // getaddrinfo may or may not match /etc/hosts for the absolute name; either way nothing is sent.
    const error = await safeHttpRequest({ url: `http://localhost.:${listener.port}/` }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: expect.stringMatching(/^(address_forbidden|dns_failed)$/) });
    expect(connectSpy).not.toHaveBeenCalled();
    expectNoTrafficTo(listener, listener6);
  });

  it.each([
    ['loopback.test', 'loopback'],
    ['loopback6.test', 'loopback'],
    ['mapped.test', 'loopback'],
    ['private.test', 'private-network'],
    ['metadata.test', 'cloud metadata'],
    ['mixed.test', 'loopback'], // one public and one loopback record: any forbidden record refuses
  ])('a DNS name resolving to an internal address: %s', async (name, kind) => {
    const before = dnsServer.queries.length;
    const error = await refusal(safeHttpRequest({ url: `http://${name}:${listener.port}/`, resolver }));
    expect(error.reason).toBe('address_forbidden');
    expect(error.message).toContain(`${name} resolves to a ${kind}`);
    // It really went through the DNS server, and the connection never started.
    expect(dnsServer.queries.slice(before).map((q) => q.name)).toContain(name);
    expect(connectSpy).not.toHaveBeenCalled();
    expectNoTrafficTo(listener, listener6);
  });

  it('refuses cloud metadata even when the allowlist covers it', async () => {
    for (const url of ['http://169.254.169.254/', 'http://[::ffff:169.254.169.254]/', 'http://metadata.test/']) {
      const allowlist = ['0.0.0.0/0', '::/0', '169.254.169.254/32', 'metadata.test'];
      const error = await refusal(safeHttpRequest({ url, allowlist, resolver }));
      expect(error.reason).toBe('address_forbidden');
      expect(error.message).toContain('can never be allowlisted');
    }
    expect(connectSpy).not.toHaveBeenCalled();
  });

  it('does not echo secrets or resolved addresses in its messages', async () => {
    const error = await refusal(
      safeHttpRequest({
        url: `http://private.test/path?token=hunter2`,
        headers: { authorization: 'Bearer hunter2' },
        resolver,
      }),
    );
    expect(error.message).toBe(
      'Requests to http://private.test are not allowed: private.test resolves to a private-network address. ' +
        'An org admin can allowlist it if this is intended.',
    );
    expect(JSON.stringify(error)).not.toMatch(/hunter2|10\.0\.0\.7|path/);
  });
});

describe('safeHttpRequest re-validates every redirect hop', () => {
  let origin: LoopbackServer;
  let location = '';

  beforeAll(async () => {
    origin = await startLoopbackServer((_req, res) => {
      res.writeHead(302, { location }).end();
    });
  });

  afterAll(async () => {
    await origin.close();
  });

  it.each([
    ['127.0.0.2', () => `http://127.0.0.2:${victim.port}/`, 'address_forbidden'],
    ['decimal 2130706434 (127.0.0.2)', () => `http://2130706434:${victim.port}/`, 'address_forbidden'],
    ['a name resolving to 127.0.0.2', () => `http://victim.test:${victim.port}/`, 'address_forbidden'],
    ['[::1]', () => `http://[::1]:${listener6.port}/`, 'address_forbidden'],
    ['[::ffff:127.0.0.2]', () => `http://[::ffff:127.0.0.2]:${victim.port}/`, 'address_forbidden'],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/iam/', 'address_forbidden'],
    ['10.0.0.1', () => 'http://10.0.0.1/', 'address_forbidden'],
    ['file:///etc/passwd', () => 'file:///etc/passwd', 'scheme_forbidden'],
    ['gopher://', () => `gopher://127.0.0.2:${victim.port}/_x`, 'scheme_forbidden'],
    ['credentials in the Location', () => `http://u:p@127.0.0.2:${victim.port}/`, 'credentials_in_url'],
  ])('from an allowed server to %s is refused', async (_name, target, reason) => {
    location = target();
    origin.requests.length = 0;
    const request = safeHttpRequest({ url: `${origin.origin}/start`, allowlist: ['127.0.0.1/32'], resolver });
    const error = await refusal(request);
    expect(error.reason).toBe(reason);
    expect(origin.requests).toHaveLength(1); // the allowed first hop did happen
    expect(connectSpy).toHaveBeenCalledTimes(1); // and nothing after it
    expectNoTrafficTo(victim, listener, listener6);
  });
});
