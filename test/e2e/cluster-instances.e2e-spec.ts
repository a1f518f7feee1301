import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { exampleDefinition } from '../utils/flow-helpers.js';
import { publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const busy = (ms: number, value: string) =>
  `const end = Date.now() + ${ms}; while (Date.now() < end) {} return "${value}";`;

/**
 * Two server processes on one database talk over the cluster bus, on PostgreSQL LISTEN/NOTIFY and, with
 * `REDIS_URL`, on Redis pub/sub: a cancellation reaches the process executing the run, and a revoked key or a
 * suspended org stops working on the other process.
 */
describe.each([
  ['PostgreSQL NOTIFY', undefined],
  ['Redis pub/sub', 'redis://127.0.0.1:6379'],
] as const)('two instances on the %s cluster bus', (_name, redisUrl) => {
  let t: TestApp;
  let other: ChildServer;
  let org: TestOrg;

  beforeAll(async () => {
    t = await createTestApp(redisUrl ? { REDIS_URL: redisUrl } : {});
    other = await startChildServer(45_000, redisUrl);
    org = await t.createOrg();
  }, 60_000);
  afterAll(async () => {
    await other?.stop();
    await t?.close();
  });

  it('cancelling on one instance stops the run where it executes', async () => {
    const def = {
      ...exampleDefinition(),
      trigger: { type: 'manual' },
      nodes: [
        { id: 'slow', type: 'code', params: { code: busy(1500, 'slow'), timeoutMs: 10_000 } },
        { id: 'after', type: 'code', params: { code: 'return "after";' } },
      ],
      edges: [
        { from: 'trigger', to: 'slow' },
        { from: 'slow', to: 'after' },
      ],
    };
    const flowId = await publishedFlow(t, org.ownerKey, def);
    const started = await request(other.url)
      .post(`/api/v1/flows/${flowId}/runs`)
      .set(bearer(org.ownerKey))
      .send({})
      .expect(201);
    await new Promise((r) => setTimeout(r, 300));
    const cancelled = await t
      .http()
      .post(`/api/v1/runs/${started.body.runId}/cancel`)
      .set(bearer(org.ownerKey))
      .expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    // The executing process aborted: it records its steps at once and never reaches the second node.
    let run: Record<string, any> = {};
    for (let i = 0; i < 60 && !(run.steps?.length > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await t.http().get(`/api/v1/runs/${started.body.runId}`).set(bearer(org.ownerKey)).expect(200)).body;
    }
    await new Promise((r) => setTimeout(r, 1500));
    run = (await t.http().get(`/api/v1/runs/${started.body.runId}`).set(bearer(org.ownerKey)).expect(200)).body;
    expect(run.status).toBe('cancelled');
    expect(run.steps.map((s: { nodeId: string }) => s.nodeId)).not.toContain('after');
  });

  it('a revoked key and a suspended org stop working on the other instance within a second', async () => {
    const { body: k } = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'bus', role: 'viewer' })
      .expect(201);
    await request(other.url).get('/api/v1/org').set(bearer(k.key)).expect(200);
    const start = Date.now();
    await t.http().delete(`/api/v1/api-keys/${k.id}`).set(bearer(org.ownerKey)).expect(204);
    while ((await request(other.url).get('/api/v1/org').set(bearer(k.key))).status !== 401 && Date.now() - start < 3000)
      await new Promise((r) => setTimeout(r, 25));
    expect(Date.now() - start).toBeLessThan(1000);

    const b = await t.createOrg();
    const flowId = await publishedFlow(t, b.ownerKey, exampleDefinition());
    await request(other.url).post(`/hooks/${flowId}`).send({ a: 1, b: 1 }).expect(200);
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${b.id}`)
      .set(bearer(t.platformKey))
      .send({ status: 'suspended' })
      .expect(200);
    const suspended = Date.now();
    while (
      (await request(other.url).post(`/hooks/${flowId}`).send({ a: 1, b: 1 })).status !== 404 &&
      Date.now() - suspended < 6000
    )
      await new Promise((r) => setTimeout(r, 25));
    // The org cache expires after 5 s on its own: well under that means the bus delivered.
    expect(Date.now() - suspended).toBeLessThan(1000);
  });
});
