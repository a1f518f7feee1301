import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

describe('examples/embed-host', () => {
  let t: TestApp;
  let org: TestOrg;
  let target: Server;
  const dir = mkdtempSync(join(tmpdir(), 'tf-embed-host-'));
  const received: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    const sql = new pg.Client({ connectionString: inject('databaseUrl') });
    await sql.connect();
    await sql.query(
      `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [org.id],
    );
    await sql.end();
    target = createServer((req, res) => {
      received.push(String(req.headers.authorization));
      res.setHeader('content-type', 'application/json').end('{"pong":true}');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    target?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs a token with jose, opens a session and runs a flow that uses a predefined connection', async () => {
    const keys = await generateKeyPair('ES256', { extractable: true });
    writeFileSync(join(dir, 'host-key.pem'), await exportPKCS8(keys.privateKey));
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(org.ownerKey))
      .send({ kid: 'host-1', alg: 'ES256', publicKey: await exportSPKI(keys.publicKey) })
      .expect(201);
    const connection = (
      await t
        .http()
        .post('/api/v1/connections')
        .set(bearer(org.ownerKey))
        .send({ name: 'vendor api', type: 'bearer', predefined: true, data: { token: 'vendor-secret-token' } })
        .expect(201)
    ).body;
    const script = fileURLToPath(new URL('../../examples/embed-host/host.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: {
        ...process.env,
        TENANTFLOW_URL: t.url,
        EMBED_ORG: org.slug,
        EMBED_KID: 'host-1',
        EMBED_ALG: 'ES256',
        EMBED_PRIVATE_KEY_FILE: join(dir, 'host-key.pem'),
        CONNECTION_ID: connection.id,
        TARGET_URL: `http://127.0.0.1:${(target.address() as { port: number }).port}/ping`,
      },
    });
    expect(JSON.parse(stdout)).toMatchObject({ status: 'succeeded', runId: expect.any(String) });
    expect(received).toEqual(['Bearer vendor-secret-token']);
  });
});
