import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EgressResolver, safeHttpRequest } from '../index.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const HAVE_OPENSSL = hasOpenssl();
// A security test (test/security/security-tests.ts): CI provides openssl and fails the run if this skips.
if (!HAVE_OPENSSL) console.warn('SKIP safe-http-request TLS: openssl not found (.ci/run installs it)');

// A pinned https connection must still present the hostname (SNI, certificate check), not the address.
describe.skipIf(!HAVE_OPENSSL)('safeHttpRequest over https to a pinned address', () => {
  const sniSeen: (string | undefined)[] = [];
  let server: Server;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egress-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=tls.test',
        '-addext',
        'subjectAltName=DNS:tls.test',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const context = createSecureContext({ key: readFileSync(key), cert: readFileSync(cert) });
    server = createServer({
      key: readFileSync(key),
      cert: readFileSync(cert),
      SNICallback: (servername, callback) => {
        sniSeen.push(servername);
        callback(null, context);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the hostname as SNI and verifies the certificate (self-signed is refused)', async () => {
    const resolver: EgressResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const { port } = server.address() as AddressInfo;
    const error = await safeHttpRequest({ url: `https://tls.test:${port}/`, allowlist: ['tls.test'], resolver }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ reason: 'connection_failed' });
    expect((error as Error).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(sniSeen).toEqual(['tls.test']);
  });
});
