import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { TEST_REDIS_URL, warnIfNoRedis } from '../utils/redis.js';
import { finishedRun, hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

warnIfNoRedis('queued runs a worker cannot start (an api and a worker process)');

/**
 * Issue 18: a queued run whose launch data the worker cannot open (the processes were given different
 * TENANTFLOW_ENCRYPTION_KEY values) ends `failed` with a reason, never left `queued` or `running`.
 */
describe.skipIf(!TEST_REDIS_URL)('a queued run the worker cannot open', () => {
  let t: TestApp;
  let org: TestOrg;
  const children: ChildServer[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    // A key prefix of its own: no other test's worker takes these jobs.
    const prefix = `qf${process.pid}${Date.now().toString(36)}:`;
    const settings = (mode: string, keyByte: number) => ({
      TENANTFLOW_MODE: mode,
      TENANTFLOW_REDIS_KEY_PREFIX: prefix,
      TENANTFLOW_ENCRYPTION_KEY: Buffer.alloc(32, keyByte).toString('base64'),
    });
    children.push(await startChildServer({ redisUrl: TEST_REDIS_URL, settings: settings('api', 1) }));
    children.push(await startChildServer({ redisUrl: TEST_REDIS_URL, settings: settings('worker', 2) }));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(children.map((c) => c.stop()));
    await t?.close();
  });

  it('ends it `failed`, saying its launch data could not be opened', async () => {
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([{ id: 'answer', type: 'respond', params: { status: 200, body: { ok: true } } }]),
    );
    const res = await fetch(`${children[0].url}/hooks/${flowId}?wait=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await finishedRun(t, org.ownerKey, runId, 30_000);
    expect(run).toMatchObject({
      status: 'failed',
      error: { type: 'node_error', message: expect.stringContaining('launch data could not be opened') },
    });
  }, 60_000);
});
