import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { ancestry, attr, otlpReceiver } from '../utils/otlp-receiver.js';
import { TEST_REDIS_URL, warnIfNoRedis } from '../utils/redis.js';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

warnIfNoRedis('queue tracing (an api and a worker process)');

/**
 * Issue 18: one trace follows a run from the `api` process that took the webhook, through the BullMQ queue, to the
 * `worker` process that ran it (the job carries the W3C trace context).
 */
describe.skipIf(!TEST_REDIS_URL)('tracing across the run queue', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let t: TestApp;
  let org: TestOrg;
  const children: ChildServer[] = [];

  beforeAll(async () => {
    receiver = await otlpReceiver();
    t = await createTestApp();
    org = await t.createOrg();
    // A key prefix of its own: no other test's worker takes these jobs.
    const settings = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      TENANTFLOW_REDIS_KEY_PREFIX: `qt${process.pid}${Date.now().toString(36)}:`,
    };
    children.push(
      await startChildServer({ redisUrl: TEST_REDIS_URL, settings: { ...settings, TENANTFLOW_MODE: 'api' } }),
    );
    children.push(
      await startChildServer({ redisUrl: TEST_REDIS_URL, settings: { ...settings, TENANTFLOW_MODE: 'worker' } }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(children.map((c) => c.stop()));
    await t?.close();
    await receiver?.close();
  });

  it('the worker’s run span is a descendant of the api process’s request span', async () => {
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([{ id: 'answer', type: 'respond', params: { status: 200, body: { ok: true } } }]),
    );
    const res = await fetch(`${children[0].url}/hooks/${flowId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    // The two processes export in their own batches: wait until both the worker's run span and the api's request
    // span have arrived (either may come first).
    let run;
    let request;
    for (let i = 0; i < 100 && !(run && request); i++) {
      await new Promise((r) => setTimeout(r, 100));
      const spans = receiver.spans();
      run = spans.find((s) => s.name === 'run' && attr(s, 'tenantflow.flow.id') === flowId);
      request = run && ancestry(run, spans).find((s) => s.kind === 2 /* SERVER */);
    }
    expect(run).toBeDefined();
    expect(request?.name).toContain('/hooks/:flowId');
    expect(request?.traceId).toBe(run!.traceId);
  });
});
