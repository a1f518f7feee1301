import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/app.factory.js';
import { PlatformKeysService, PlatformService, SESSION_COOKIE } from '../../src/modules/identity/index.js';
import { signRequest } from '../../src/modules/webhooks/index.js';
import { exampleDefinition } from '../utils/flow-helpers.js';
import { publishedFlow } from '../utils/run-helpers.js';
import { expectNoSecretIn } from '../utils/secret-encodings.js';
import { openSession, createUser } from '../utils/sessions.js';
import { bearer, uniqueSlug, type TestApp, credentialSecret } from '../utils/test-app.js';

/**
 * A value shares nothing with any other secret of the test, so a log line holding a wrong credential, a near miss
 * or a real one is seen (a wrong key that differs from the real one only in its tail would not be).
 */
const canary = (label: string) => `LOGCANARY${label}${randomBytes(16).toString('hex')}`;
/** A canary shaped as a 43-character base64url credential secret. */
const canarySecret = (label: string) => canary(label).slice(0, 43).padEnd(43, 'Q');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Secrets never reach logs: every log line the server writes (at trace level) is captured while every kind of
 * secret travels through it, accepted and refused (API keys, the platform key, session cookies, CSRF tokens, SSO
 * client secrets, webhook header, Basic and HMAC secrets), then searched for each in every plaintext encoding.
 */
describe('no secret value in any log line', () => {
  let server: RunningServer;
  let lines = '';
  const http = () => request(server.url);
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines += chunk.toString();
        done();
      },
    });
    server = await startServer({
      env: { NODE_ENV: 'test' },
      overrides: {
        DATABASE_URL: inject('databaseUrl'),
        PORT: '0',
        HOST: '127.0.0.1',
        TENANTFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
      log: pino({ level: 'trace' }, sink),
    });
  });
  afterAll(() => server.close());

  it('keeps every kind of secret out of the logs, in every encoding, accepted or refused', async () => {
    const slug = uniqueSlug('logs');
    const created = await server.app.get(PlatformService).createOrg({ name: slug, slug }, { type: 'system', id: null });
    const orgId = created.org.id;
    const owner = created.ownerApiKey.key;
    const t = { http, url: server.url, server } as unknown as TestApp;
    secrets['owner key'] = owner;
    secrets['owner key secret'] = credentialSecret(owner);

    // API keys: minted, used, refused with a wrong secret for a real public id and with an unknown key, rotated.
    const minted = await http()
      .post('/api/v1/api-keys')
      .set(bearer(owner))
      .send({ name: 'logged?', role: 'viewer' })
      .expect(201);
    secrets['minted key secret'] = credentialSecret(minted.body.key);
    await http().get('/api/v1/projects').set(bearer(minted.body.key)).expect(200);
    secrets['wrong key secret'] = canarySecret('WRONGKEY');
    await http()
      .get('/api/v1/projects')
      .set(bearer(`tfk_${minted.body.key.split('_')[1]}_${secrets['wrong key secret']}`))
      .expect(401);
    secrets['unknown key secret'] = canarySecret('UNKNOWNKEY');
    await http()
      .get('/api/v1/projects')
      .set(bearer(`tfk_0123456789abcdef_${secrets['unknown key secret']}`))
      .expect(401);
    await http().post('/api/v1/projects').set(bearer(minted.body.key)).send({ name: 'nope' }).expect(403);
    const rotated = await http()
      .post(`/api/v1/api-keys/${minted.body.id}/rotate`)
      .set(bearer(owner))
      .send({})
      .expect(200);
    secrets['rotated key secret'] = credentialSecret(rotated.body.key);

    // The platform key: on its routes, on an org route (403), and a wrong one.
    const platformKey = (await server.app.get(PlatformKeysService).create('logs')).key;
    secrets['platform key secret'] = credentialSecret(platformKey);
    await http().get('/api/v1/platform/orgs').set(bearer(platformKey)).expect(200);
    await http().get('/api/v1/projects').set(bearer(platformKey)).expect(403);
    secrets['wrong platform key secret'] = canarySecret('WRONGPLATFORM');
    await http()
      .get('/api/v1/platform/orgs')
      .set(bearer(`tfp_${platformKey.split('_')[1]}_${secrets['wrong platform key secret']}`))
      .expect(401);

    // Session cookies and CSRF tokens: used, a wrong CSRF token, a forged cookie, then the cookie after logout.
    const session = await openSession(t, orgId, await createUser(t, orgId, 'admin'));
    secrets['session cookie'] = session.token;
    secrets['session secret'] = credentialSecret(session.token);
    secrets['CSRF token'] = session.csrfToken;
    await http().get('/api/v1/auth/me').set(session.cookie).expect(200);
    await http()
      .post('/api/v1/projects')
      .set(session.headers)
      .send({ name: `s-${slug}` })
      .expect(201);
    secrets['wrong CSRF token'] = canary('WRONGCSRF');
    await http()
      .post('/api/v1/projects')
      .set({ ...session.cookie, 'X-CSRF-Token': secrets['wrong CSRF token'] })
      .send({ name: 'x' })
      .expect(403);
    secrets['forged session secret'] = canarySecret('FORGEDSESSION');
    await http()
      .get('/api/v1/auth/me')
      .set('Cookie', `${SESSION_COOKIE}=tfs_${session.token.split('_')[1]}_${secrets['forged session secret']}`)
      .expect(401);
    await http().post('/api/v1/auth/logout').set(session.headers).expect(204);
    await http().get('/api/v1/auth/me').set(session.cookie).expect(401);

    // An SSO client secret in a configuration.
    secrets['OIDC client secret'] = canary('CLIENTSECRET');
    await http()
      .put('/api/v1/sso/oidc')
      .set(bearer(owner))
      .send({
        enabled: true,
        provider: 'oidc',
        issuer: 'https://issuer.example',
        clientId: 'c',
        clientSecret: secrets['OIDC client secret'],
      })
      .expect(200);

    // Webhooks with header, Basic and HMAC authentication: runs that pass and requests refused with a wrong secret.
    const hook = (auth: Record<string, unknown>) =>
      publishedFlow(t, owner, {
        ...exampleDefinition(),
        trigger: { type: 'webhook', settings: { auth, respond: 'wait' } },
      });
    secrets['webhook header secret'] = canary('HOOKHEADER');
    secrets['wrong webhook header secret'] = canary('WRONGHOOKHEADER');
    const headerFlow = await hook({ mode: 'header', name: 'X-Hook-Token', value: secrets['webhook header secret'] });
    await http()
      .post(`/hooks/${headerFlow}`)
      .set('X-Hook-Token', secrets['webhook header secret'])
      .send({ a: 1, b: 2 })
      .expect(200);
    await http()
      .post(`/hooks/${headerFlow}`)
      .set('X-Hook-Token', secrets['wrong webhook header secret'])
      .send({ a: 1, b: 2 })
      .expect(401);

    secrets['webhook Basic password'] = canary('HOOKBASIC');
    secrets['wrong webhook Basic password'] = canary('WRONGHOOKBASIC');
    secrets['webhook Basic header'] = basic('hook-user', secrets['webhook Basic password']).slice('Basic '.length);
    secrets['wrong webhook Basic header'] = basic('hook-user', secrets['wrong webhook Basic password']).slice(
      'Basic '.length,
    );
    const basicFlow = await hook({ mode: 'basic', username: 'hook-user', password: secrets['webhook Basic password'] });
    await http()
      .post(`/hooks/${basicFlow}`)
      .set('Authorization', basic('hook-user', secrets['webhook Basic password']))
      .send({ a: 1, b: 2 })
      .expect(200);
    await http()
      .post(`/hooks/${basicFlow}`)
      .set('Authorization', basic('hook-user', secrets['wrong webhook Basic password']))
      .send({ a: 1, b: 2 })
      .expect(401);

    secrets['webhook HMAC secret'] = canary('HOOKHMAC');
    const hmacFlow = await hook({ mode: 'hmac', secret: secrets['webhook HMAC secret'] });
    const body = JSON.stringify({ a: 1, b: 2 });
    await http()
      .post(`/hooks/${hmacFlow}`)
      .set('content-type', 'application/json')
      .set(signRequest('generic', secrets['webhook HMAC secret'], body))
      .send(body)
      .expect(200);

    // The capture works and saw these requests (one access line each at least).
    expect(lines).toContain('"msg":"request"');
    expect(lines.split('\n').filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(20);
    expect(lines).not.toMatch(/LOGCANARY/);
    expectNoSecretIn(lines, secrets, 'the log');
  });
});
