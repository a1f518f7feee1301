import type { Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY } from '../../src/core/http/policies.js';
import { ProjectsController } from '../../src/modules/tenancy/projects.controller.js';
import { createKey } from '../utils/flow-helpers.js';
import { allowHoldServer, holdNode, holdServer, type HoldServer } from '../utils/hold-server.js';
import { concretePath, registeredRoutes, type RegisteredRoute } from '../utils/routes.js';
import { finishedRun, hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** SECURITY.md and API.md claims that had no test of their own. */

const send = (t: TestApp, r: RegisteredRoute, headers: Record<string, string>): Test => {
  const req = t.http()[r.method.toLowerCase() as 'get'](concretePath(r.path)).set(headers);
  return ['POST', 'PUT', 'PATCH'].includes(r.method) ? req.send({}) : req;
};

const expectFrameAndReferrer = (res: { headers: Record<string, string> }, what: string) => {
  expect(res.headers['x-frame-options'], what).toBe('DENY');
  expect(res.headers['referrer-policy'], what).toBe('no-referrer');
};

describe('every route is refused to the platform key, every answer carries the framing and referrer headers', () => {
  let t: TestApp;
  let org: TestOrg;
  let routes: RegisteredRoute[];

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_AUTH_FAILURE_LIMIT: '100000', TENANTFLOW_API_RATE_LIMIT: '100000' });
    org = await t.createOrg();
    routes = registeredRoutes(t.server);
  });
  afterAll(() => t.close());

  it('the platform key: 403 forbidden on every org route (it is no member of any org), and it works on its own routes', async () => {
    const orgRoutes = routes.filter((r) => !r.public && !r.platform);
    expect(orgRoutes.length).toBeGreaterThanOrEqual(30);
    for (const r of orgRoutes) {
      const res = await send(t, r, bearer(t.platformKey));
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expect(res.body.code, `${r.method} ${r.path}`).toBe('forbidden');
      expectFrameAndReferrer(res, `${r.method} ${r.path}`);
    }
    // The control: the same key is accepted where it belongs, and an org key is refused there.
    await t.http().get('/api/v1/platform/orgs').set(bearer(t.platformKey)).expect(200);
    await t.http().get('/api/v1/platform/orgs').set(bearer(org.ownerKey)).expect(403);
  });

  it('X-Frame-Options: DENY and Referrer-Policy: no-referrer on every answer: each route unauthenticated, successes, 404s, errors, webhooks', async () => {
    for (const r of routes) {
      const res = await send(t, r, {});
      expectFrameAndReferrer(res, `${r.method} ${r.path} -> ${res.status}`);
    }
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: 'ok' } }]),
    );
    const answers = [
      await t.http().get('/api/v1/projects').set(bearer(org.ownerKey)).expect(200),
      await t.http().get('/api/v1/nothing-here').expect(404),
      await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 42 }).expect(400),
      await t.http().get('/health/live').expect(200),
      await t.http().get('/docs/openapi.json').expect(200),
      await t.http().post(`/hooks/${flowId}`).send({}).expect(200),
      await t.http().post('/hooks/0190a000-0000-7000-8000-00000000dead').send({}).expect(404),
    ];
    answers.forEach((res, i) => expectFrameAndReferrer(res, `answer ${i} (${res.status})`));
  });

  it('a route without a declared policy is refused (fail closed), even to the org owner', async () => {
    const handler = ProjectsController.prototype.list;
    const policy = Reflect.getMetadata(POLICY, handler);
    expect(policy).toBeDefined();
    await t.http().get('/api/v1/projects').set(bearer(org.ownerKey)).expect(200);
    Reflect.deleteMetadata(POLICY, handler);
    try {
      const res = await t.http().get('/api/v1/projects').set(bearer(org.ownerKey));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    } finally {
      Reflect.defineMetadata(POLICY, policy, handler);
    }
    await t.http().get('/api/v1/projects').set(bearer(org.ownerKey)).expect(200);
  });

  it('/health/ready answers 503 naming what is missing while a migration is pending, 200 again once applied', async () => {
    await t.http().get('/health/ready').expect(200);
    const db = t.server.deps.db;
    const [last] = await db.systemQuery<{ id: number; timestamp: string; name: string }>(
      `SELECT id, timestamp, name FROM typeorm_migrations ORDER BY timestamp DESC LIMIT 1`,
    );
    await db.systemQuery(`DELETE FROM typeorm_migrations WHERE id = $1`, [last.id]);
    try {
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body).toEqual({ status: 'not_ready', problems: { migrations: ['pending migrations'] } });
    } finally {
      await db.systemQuery(`INSERT INTO typeorm_migrations (id, timestamp, name) VALUES ($1, $2, $3)`, [
        last.id,
        last.timestamp,
        last.name,
      ]);
    }
    await t.http().get('/health/ready').expect(200);
  });
});

describe('the per-credential management API limit', () => {
  let t: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_API_RATE_LIMIT: '5' });
    org = await t.createOrg();
  });
  afterAll(() => t.close());

  it('allows TENANTFLOW_API_RATE_LIMIT requests a minute per credential, then 429 rate_limited; another credential is unaffected', async () => {
    const other = await createKey(t, org.id, 'viewer');
    for (let i = 0; i < 5; i++) {
      const res = await t.http().get('/api/v1/org').set(bearer(org.ownerKey)).expect(200);
      expect(res.headers['ratelimit-remaining']).toBe(String(4 - i));
    }
    const refused = await t.http().get('/api/v1/org').set(bearer(org.ownerKey)).expect(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    await t.http().get('/api/v1/org').set(bearer(other)).expect(200);
  });
});

describe('run and webhook limits', () => {
  let t: TestApp;
  let org: TestOrg;
  let hold: HoldServer;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_RUN_MAX_CONCURRENT: '1' });
    org = await t.createOrg();
    hold = await holdServer();
    await allowHoldServer(t, org.id);
  });
  afterAll(async () => {
    hold.release();
    await t.close();
    hold.close();
  });

  const holding = (settings: Record<string, unknown>) =>
    publishedFlow(t, org.ownerKey, hookFlow([holdNode(hold)], settings));

  it("a run beyond the org's concurrent runs answers 429 run_limit_reached with Retry-After, and nothing is started", async () => {
    const busy = await holding({ respond: 'accepted' });
    const quick = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: 'ok' } }]),
    );
    const first = await t.http().post(`/hooks/${busy}`).send({}).expect(202);
    await hold.arrived(); // the first run is running now, holding the org's only slot
    const refused = await t.http().post(`/hooks/${quick}`).send({});
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('run_limit_reached');
    expect(refused.headers['retry-after']).toBe('1');
    const manual = await t.http().post(`/api/v1/flows/${quick}/runs`).set(bearer(org.ownerKey)).send({});
    expect(manual.status).toBe(429);
    expect(manual.body.code).toBe('run_limit_reached');
    hold.release();
    expect((await finishedRun(t, org.ownerKey, first.body.runId, 30_000)).status).toBe('succeeded');
    await t.http().post(`/hooks/${quick}`).send({}).expect(200);
  });

  it('a waiting webhook still running at its wait limit answers 504 run_still_running {runId}; the run goes on', async () => {
    const flowId = await holding({ respond: 'wait', waitTimeoutMs: 300 });
    const res = await t.http().post(`/hooks/${flowId}`).send({});
    expect(res.status, JSON.stringify(res.body)).toBe(504);
    expect(res.body.code).toBe('run_still_running');
    expect(res.headers['content-type']).toContain('application/problem+json');
    await hold.arrived();
    hold.release();
    expect((await finishedRun(t, org.ownerKey, res.body.runId, 30_000)).status).toBe('succeeded');
  });

  it("a flow's own webhook limit (settings.rateLimit) answers 429 past it; other flows are unaffected", async () => {
    const limited = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: 'ok' } }], {
        rateLimit: { requests: 2, perSeconds: 3600 },
      }),
    );
    const other = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: 'ok' } }]),
    );
    await t.http().post(`/hooks/${limited}`).send({}).expect(200);
    await t.http().post(`/hooks/${limited}`).send({}).expect(200);
    const refused = await t.http().post(`/hooks/${limited}`).send({});
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 3; i++) await t.http().post(`/hooks/${other}`).send({}).expect(200);
  });
});
