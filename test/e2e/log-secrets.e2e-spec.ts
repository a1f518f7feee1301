import { Writable } from 'node:stream';
import request from 'supertest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/app.factory.js';
import { PlatformService } from '../../src/modules/identity/index.js';
import { exampleDefinition } from '../utils/flow-helpers.js';
import { publishedFlow } from '../utils/run-helpers.js';
import { bearer, uniqueSlug, type TestApp, credentialSecret } from '../utils/test-app.js';

/**
 * Secrets never reach logs: every log line the server writes (at trace level) is captured while credentials,
 * SSO client secrets and webhook secrets travel through it, successfully and in failures, then searched.
 */
describe('no secret value in any log line', () => {
  let server: RunningServer;
  let lines = '';
  const http = () => request(server.url);

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, done) { lines += chunk.toString(); done(); } });
    server = await startServer({
      env: { NODE_ENV: 'test' },
      overrides: { DATABASE_URL: inject('databaseUrl'), PORT: '0', HOST: '127.0.0.1', TENANTFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') },
      log: pino({ level: 'trace' }, sink),
    });
  });
  afterAll(() => server.close());

  it('keeps API keys, SSO client secrets and webhook secrets out of the logs', async () => {
    const slug = uniqueSlug('logs');
    const created = await server.app.get(PlatformService).createOrg({ name: slug, slug }, { type: 'system', id: null });
    const owner = created.ownerApiKey.key;
    const t = { http, url: server.url } as unknown as TestApp;
    const secrets: string[] = [credentialSecret(owner)];

    const minted = await http().post('/api/v1/api-keys').set(bearer(owner)).send({ name: 'logged?', role: 'viewer' }).expect(201);
    secrets.push(credentialSecret(minted.body.key));
    await http().get('/api/v1/projects').set(bearer(minted.body.key)).expect(200);
    await http().get('/api/v1/projects').set(bearer(`${minted.body.key.slice(0, -6)}AAAAAA`)).expect(401);
    await http().post('/api/v1/projects').set(bearer(minted.body.key)).send({ name: 'nope' }).expect(403);
    const rotated = await http().post(`/api/v1/api-keys/${minted.body.id}/rotate`).set(bearer(owner)).send({}).expect(200);
    secrets.push(credentialSecret(rotated.body.key));

    const clientSecret = 'log-canary-client-secret-4f1e9b';
    secrets.push(clientSecret);
    await http().put('/api/v1/sso/oidc').set(bearer(owner))
      .send({ enabled: true, provider: 'oidc', issuer: 'https://issuer.example', clientId: 'c', clientSecret }).expect(200);

    const hookSecret = 'log-canary-hook-token-91c2';
    secrets.push(hookSecret);
    const def = { ...exampleDefinition(), trigger: { type: 'webhook', settings: { auth: { mode: 'header', name: 'X-Hook-Token', value: hookSecret }, respond: 'wait' } } };
    const flowId = await publishedFlow(t, owner, def);
    await http().post(`/hooks/${flowId}`).set('X-Hook-Token', hookSecret).send({ a: 1, b: 2 }).expect(200);
    await http().post(`/hooks/${flowId}`).set('X-Hook-Token', `${hookSecret}-wrong`).send({ a: 1, b: 2 }).expect(401);

    expect(lines.length).toBeGreaterThan(0); // the capture works: request lines were written
    expect(lines).toContain('"msg":"request"');
    for (const secret of secrets) expect(lines, 'a secret value reached the log').not.toContain(secret);
  });
});
