import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/modules/webhooks/index.js';
import { SAML_BINDING_COOKIE } from '../../src/modules/identity/sso/saml/saml-flow.service.js';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { HttpAgent } from '../utils/idp/http-agent.js';
import { TestSamlIdp } from '../utils/idp/saml-idp.js';
import { TEST_ENCRYPTION_KEY, putSaml, urlsFor } from '../utils/idp/sso-test-kit.js';
import { TEST_REDIS_URL, warnIfNoRedis } from '../utils/redis.js';
import { hookFlow, listRuns, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

warnIfNoRedis(
  'rate-limits-multi-process (limits and replay caches shared by two server processes through Redis: API key, public route, webhook, embed jti, SAML assertion, webhook signature)',
);

const API_LIMIT = 40;
const PUBLIC_LIMIT = 20;
const WEBHOOK_LIMIT = 8;
const RESPOND = { id: 'r', type: 'respond', params: { status: 200, body: 'ok' } };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A GET from a chosen loopback address (each test its own, so each starts with a full per-address budget). */
function getFrom(base: string, path: string, localAddress: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { localAddress, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // a redirect or an HTML page
        }
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every limited answer carries the three RateLimit headers; a refusal is a 429 problem with Retry-After. */
function expectLimitHeaders(res: Answer, limit: number): void {
  expect(res.headers['ratelimit-limit']).toBe(String(limit));
  expect(Number(res.headers['ratelimit-remaining'])).toBeGreaterThanOrEqual(0);
  expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(0);
  if (res.status === 429) {
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['ratelimit-remaining']).toBe('0');
  }
}

/**
 * Two Tenantflow server processes (this one and a child `node` process) sharing PostgreSQL and Redis under one key
 * prefix of their own (so parallel test files never share a budget, and nothing is flushed): every limit is one
 * budget for both, and every replay cache refuses on one process what the other accepted.
 */
describe.skipIf(!TEST_REDIS_URL)('two server processes sharing Redis', () => {
  const settings = {
    REDIS_URL: TEST_REDIS_URL!,
    TENANTFLOW_REDIS_KEY_PREFIX: `tftest:${randomUUID().slice(0, 8)}:`,
    TENANTFLOW_API_RATE_LIMIT: String(API_LIMIT),
    TENANTFLOW_PUBLIC_RATE_LIMIT: String(PUBLIC_LIMIT),
    TENANTFLOW_WEBHOOK_RATE_LIMIT: String(WEBHOOK_LIMIT),
    TENANTFLOW_AUTH_FAILURE_LIMIT: '100000',
    TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  };
  let t: TestApp;
  let other: ChildServer;
  let org: TestOrg;
  /** Alternates between the two processes: even requests here, odd ones on the other. */
  const urls = () => [t.url, other.url];

  beforeAll(async () => {
    t = await createTestApp(settings);
    // The same public URL: SAML responses are addressed to one ACS URL, whichever process receives them.
    other = await startChildServer({
      redisUrl: TEST_REDIS_URL,
      settings: { ...settings, TENANTFLOW_PUBLIC_URL: t.url },
    });
    org = await t.createOrg();
  }, 60_000);
  afterAll(async () => {
    await other?.stop();
    await t?.close();
  });

  it('is really another process', () => {
    expect(other.pid).not.toBe(process.pid);
  });

  it('one API key: the two processes together allow TENANTFLOW_API_RATE_LIMIT requests, with RateLimit headers', async () => {
    const { body: k } = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'limited', role: 'viewer' })
      .expect(201);
    const answers: Answer[] = [];
    for (let i = 0; i < API_LIMIT + 10; i++) {
      const res = await request(urls()[i % 2])
        .get('/api/v1/org')
        .set(bearer(k.key));
      answers.push({ status: res.status, headers: res.headers, body: res.body });
    }
    answers.forEach((a) => expectLimitHeaders(a, API_LIMIT));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(API_LIMIT);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(10);
    // The remaining count falls across both processes: one shared budget, not one per process.
    expect(answers.slice(0, 4).map((a) => a.headers['ratelimit-remaining'])).toEqual(
      [1, 2, 3, 4].map((n) => String(API_LIMIT - n)),
    );
    // Another credential has its own budget.
    await request(other.url).get('/api/v1/org').set(bearer(org.ownerKey)).expect(200);
  });

  it('one unauthenticated client: the processes share its per-address budget, and a spoofed X-Forwarded-For gets no fresh one', async () => {
    const address = '127.0.0.23';
    const path = `/auth/${org.slug}/oidc/login`; // a public route (no OIDC configured: a refusal, still counted)
    const answers: Answer[] = [];
    for (let i = 0; i < PUBLIC_LIMIT + 6; i++) answers.push(await getFrom(urls()[i % 2], path, address));
    answers.forEach((a) => expectLimitHeaders(a, PUBLIC_LIMIT));
    expect(answers.filter((a) => a.status !== 429)).toHaveLength(PUBLIC_LIMIT);
    expect(answers.slice(PUBLIC_LIMIT).every((a) => a.status === 429)).toBe(true);
    // The peer is not a trusted proxy (the default trusts none): its X-Forwarded-For is not the client address.
    for (let i = 0; i < 6; i++) {
      const spoofed = await getFrom(urls()[i % 2], path, address, { 'X-Forwarded-For': `203.0.113.${i + 1}` });
      expect(spoofed.status).toBe(429);
      expectLimitHeaders(spoofed, PUBLIC_LIMIT);
    }
    // Another client address still has its whole budget.
    const fresh = await getFrom(other.url, path, '127.0.0.24');
    expect(fresh.status).not.toBe(429);
    expect(fresh.headers['ratelimit-remaining']).toBe(String(PUBLIC_LIMIT - 1));
  });

  it('the embed session exchange is limited per address too', async () => {
    const post = await request(t.url).post('/api/v1/embed/sessions').send({ token: 'not-a-token' });
    expect(post.status).toBe(401);
    expectLimitHeaders({ status: post.status, headers: post.headers, body: post.body }, PUBLIC_LIMIT);
  });

  it('one webhook: the two processes together accept TENANTFLOW_WEBHOOK_RATE_LIMIT requests, then 429 with Retry-After', async () => {
    const flowId = await publishedFlow(t, org.ownerKey, hookFlow([RESPOND], { respond: 'accepted' }));
    const answers: Answer[] = [];
    for (let i = 0; i < WEBHOOK_LIMIT + 5; i++) {
      const res = await request(urls()[i % 2])
        .post(`/hooks/${flowId}`)
        .send({ i });
      answers.push({ status: res.status, headers: res.headers, body: res.body });
    }
    answers.forEach((a) => expectLimitHeaders(a, WEBHOOK_LIMIT));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(WEBHOOK_LIMIT);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(5);
    // A trigger's own `rateLimit` replaces the default, and is shared the same way.
    const own = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([RESPOND], { respond: 'accepted', rateLimit: { requests: 3, perSeconds: 60 } }),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (
          await request(urls()[i % 2])
            .post(`/hooks/${own}`)
            .send({})
        ).status,
      );
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
  });

  it('a signed webhook delivery accepted by one process is a replay on the other', async () => {
    const secret = 'whsec_multi_0123456789abcdef';
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([RESPOND], { auth: { mode: 'hmac', secret }, respond: 'accepted' }),
    );
    const body = JSON.stringify({ order: 1 });
    const headers = signRequest('generic', secret, body, Math.floor(Date.now() / 1000));
    const send = (url: string) =>
      request(url).post(`/hooks/${flowId}`).set('content-type', 'application/json').set(headers).send(body);
    expect((await send(t.url)).status).toBe(202);
    expect((await send(other.url)).status).toBe(401);
    expect(await listRuns(t, org.ownerKey, flowId)).toHaveLength(1);
  });

  it('an embed token used on one process is refused on the other (its jti is in Redis)', async () => {
    const keys = await generateKeyPair('RS256', { extractable: true });
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(org.ownerKey))
      .send({ kid: 'multi', alg: 'RS256', publicKey: await exportSPKI(keys.publicKey) })
      .expect(201);
    const token = await new SignJWT({ externalProjectId: 'multi', role: 'editor' })
      .setProtectedHeader({ alg: 'RS256', kid: 'multi' })
      .setIssuer(org.slug)
      .setSubject('ext-multi')
      .setJti(randomUUID())
      .setExpirationTime('4m')
      .sign(keys.privateKey);
    await request(other.url).post('/api/v1/embed/sessions').send({ token }).expect(201);
    const replay = await request(t.url).post('/api/v1/embed/sessions').send({ token });
    expect({ status: replay.status, code: replay.body.code }).toEqual({ status: 401, code: 'embed_token_refused' });
  });

  it('SAML: a login started on one process completes on the other, and its response replayed on the first is refused', async () => {
    const idp = await new TestSamlIdp('multi').start();
    try {
      idp.registeredAcs.add(urlsFor(t, org.slug).acs);
      await putSaml(t, org, {
        enabled: true,
        idpEntityId: idp.entityId,
        ssoUrl: idp.ssoUrl,
        idpCerts: [idp.keys.certPem],
        defaultRole: 'viewer',
      });
      const agent = new HttpAgent();
      const hop = await agent.request(`${urlsFor(t, org.slug).samlLogin}?returnTo=%2F`);
      expect(hop.status).toBe(302);
      const authn = inflateRawSync(
        Buffer.from(new URL(hop.location!).searchParams.get('SAMLRequest')!, 'base64'),
      ).toString();
      const requestId = /\bID="([^"]+)"/.exec(authn)![1];
      const xml = idp.response({
        user: { nameId: `nid-${randomUUID()}`, email: `m${randomUUID().slice(0, 8)}@example.test` },
        acsUrl: urlsFor(t, org.slug).acs,
        audience: urlsFor(t, org.slug).entityId,
        inResponseTo: requestId,
      });
      const post = (url: string) =>
        request(url)
          .post(`/auth/${org.slug}/saml/acs`)
          .set('Accept', 'application/json')
          .set('Cookie', `${SAML_BINDING_COOKIE}=${agent.cookieValue(SAML_BINDING_COOKIE)}`)
          .type('form')
          .send({ SAMLResponse: Buffer.from(xml).toString('base64') });
      // The request id was saved by this process and is taken by the other: the pending request is shared.
      expect((await post(other.url)).status).toBe(303);
      const replay = await post(t.url);
      expect({ status: replay.status, code: replay.body.code }).toEqual({ status: 401, code: 'replayed_assertion' });
    } finally {
      await idp.stop();
    }
  });
});

/** A TCP relay to the test Redis that can be cut, so a running server loses its Redis mid-flight. */
async function cuttableRedis(target: URL): Promise<{ url: string; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const auth = target.username || target.password ? `${target.username}:${target.password}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}${target.pathname}`,
    cut: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** With Redis gone, a limited request is refused at once with 503, never served unlimited or left hanging. */
describe.skipIf(!TEST_REDIS_URL)('a server whose Redis goes away', () => {
  let t: TestApp;
  let org: TestOrg;
  let flowId: string;
  let redis: Awaited<ReturnType<typeof cuttableRedis>>;

  beforeAll(async () => {
    redis = await cuttableRedis(new URL(TEST_REDIS_URL!));
    t = await createTestApp({
      REDIS_URL: redis.url,
      TENANTFLOW_REDIS_KEY_PREFIX: `tftest:${randomUUID().slice(0, 8)}:`,
    });
    org = await t.createOrg();
    flowId = await publishedFlow(t, org.ownerKey, hookFlow([RESPOND], { respond: 'accepted' }));
    await t.http().get('/api/v1/org').set(bearer(org.ownerKey)).expect(200);
    await redis.cut();
  }, 60_000);
  afterAll(() => t?.close());

  it('answers 503 rate_limit_unavailable problems fast on API, public and webhook routes; the probes still answer', async () => {
    const requests = [
      () => t.http().get('/api/v1/org').set(bearer(org.ownerKey)),
      () => t.http().get(`/auth/${org.slug}/oidc/login`),
      () => t.http().post('/api/v1/embed/sessions').send({ token: 'x' }),
      () => t.http().post(`/hooks/${flowId}`).send({}),
    ];
    for (const send of requests) {
      const started = Date.now();
      const res = await send();
      expect(Date.now() - started).toBeLessThan(1500);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('rate_limit_unavailable');
      expect(res.headers['retry-after']).toBe('1');
    }
    await t.http().get('/health/live').expect(200);
  });
});
