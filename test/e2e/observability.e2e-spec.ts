import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer } from '../../src/app.factory.js';
import { PlatformService } from '../../src/modules/identity/index.js';
import { hookFlow, listRuns, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { ancestry, attr, otlpReceiver, type OtlpSpan } from '../utils/otlp-receiver.js';

const CANARY_BODY = 'body-canary-7f3a9c';
const CANARY_HEADER = 'header-canary-51be02';

describe('observability: traces over OTLP/HTTP and run metrics', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let t: TestApp;
  let a: TestOrg;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    t = await createTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'tenantflow-e2e' });
    a = await t.createOrg();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('a webhook run: the request span and the run span share a trace, the run (and its nodes) under the request', async () => {
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        { id: 'c', type: 'code', params: { code: 'return { echoed: trigger.body.note };' } },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.c.output }}' } },
      ]),
    );
    const upstream = { traceId: 'a1'.repeat(16), spanId: 'b2'.repeat(8) };
    const res = await t
      .http()
      .post(`/hooks/${flowId}`)
      .set('traceparent', `00-${upstream.traceId}-${upstream.spanId}-01`)
      .set('X-Canary', CANARY_HEADER)
      .send({ note: CANARY_BODY })
      .expect(200);
    expect(res.body).toEqual({ echoed: CANARY_BODY });
    const [run] = await listRuns(t, a.ownerKey, flowId);
    await t.server.deps.tracing!.flush();

    const spans = receiver.spans();
    const request = spans.find((s) => s.name === 'POST /hooks/:flowId')!;
    expect(request).toBeDefined();
    expect(request.kind).toBe(2); // SPAN_KIND_SERVER
    expect(attr(request, 'http.route')).toBe('/hooks/:flowId');
    expect(Number(attr(request, 'http.response.status_code'))).toBe(200);
    // The caller's traceparent is continued.
    expect(request.traceId).toBe(upstream.traceId);
    expect(request.parentSpanId).toBe(upstream.spanId);

    const runSpan = spans.find((s) => s.name === 'run' && attr(s, 'tenantflow.run.id') === run.id)!;
    expect(runSpan).toBeDefined();
    expect(runSpan.traceId).toBe(request.traceId);
    expect(ancestry(runSpan, spans).map((s) => s.spanId)).toContain(request.spanId);
    expect(attr(runSpan, 'tenantflow.flow.id')).toBe(flowId);
    expect(attr(runSpan, 'tenantflow.org.id')).toBe(a.id);
    expect(attr(runSpan, 'tenantflow.run.trigger')).toBe('webhook');
    expect(attr(runSpan, 'tenantflow.run.status')).toBe('succeeded');

    const nodes = spans.filter((s) => s.parentSpanId === runSpan.spanId).map((s) => s.name);
    expect(nodes).toEqual(['node code', 'node respond']);

    expect(receiver.contentTypes.every((c) => c.startsWith('application/json'))).toBe(true);
    expect(new Set(receiver.serviceNames())).toEqual(new Set(['tenantflow-e2e']));
    // No request body, header value, credential or path with ids in any span.
    const exported = receiver.bodies.join('\n');
    for (const secret of [CANARY_BODY, CANARY_HEADER, a.ownerKey, t.platformKey]) {
      expect(exported.includes(secret)).toBe(false);
    }
    expect(exported).not.toContain(`/hooks/${flowId}`);
  });

  it('a manual run through the API is a child of its request span too', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, {
      ...hookFlow([{ id: 'c', type: 'code', params: { code: 'return 1;' } }]),
      trigger: { type: 'manual' },
    });
    const res = await t
      .http()
      .post(`/api/v1/flows/${flowId}/runs`)
      .set(bearer(a.ownerKey))
      .send({ input: {}, wait: true })
      .expect(201);
    await t.server.deps.tracing!.flush();
    const spans = receiver.spans();
    const runSpan = spans.find((s) => s.name === 'run' && attr(s, 'tenantflow.run.id') === res.body.runId)!;
    expect(runSpan).toBeDefined();
    const request = ancestry(runSpan, spans).at(-1)!;
    expect(request.name).toBe('POST /api/v1/flows/:flowId/runs');
    expect(request.parentSpanId ?? '').toBe('');
    expect(attr(runSpan, 'tenantflow.run.trigger')).toBe('manual');
  });

  it('counts finished runs, their duration, sandbox failures and webhook rate-limit refusals', async () => {
    const failing = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 'c', type: 'code', params: { code: 'throw new Error("thrown-canary-c41d");' } }]),
    );
    await t.http().post(`/hooks/${failing}`).send({});
    await t.server.deps.tracing!.flush();
    const spans = receiver.spans() as (OtlpSpan & { status?: { code?: number; message?: string } })[];
    const failedRun = spans.find((s) => s.name === 'run' && attr(s, 'tenantflow.flow.id') === failing)!;
    expect(attr(failedRun, 'tenantflow.run.status')).toBe('failed');
    // The failure's type only, never the message the code threw.
    expect(failedRun.status).toMatchObject({ code: 2, message: 'user_error' });
    const failedNode = spans.find((s) => s.parentSpanId === failedRun.spanId)!;
    expect(failedNode.name).toBe('node code');
    expect(failedNode.status).toMatchObject({ code: 2, message: 'user_error' });
    const limited = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: 'ok' } }], {
        rateLimit: { requests: 1, perSeconds: 3600 },
      }),
    );
    await t.http().post(`/hooks/${limited}`).send({}).expect(200);
    await t.http().post(`/hooks/${limited}`).send({}).expect(429);

    const text = (await t.http().get('/metrics').expect(200)).text;
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : NaN;
    };
    expect(value('tenantflow_runs_finished_total{trigger="webhook",status="succeeded",role="all"}')).toBeGreaterThan(1);
    expect(value('tenantflow_runs_finished_total{trigger="webhook",status="failed",role="all"}')).toBe(1);
    expect(value('tenantflow_runs_finished_total{trigger="manual",status="succeeded",role="all"}')).toBe(1);
    expect(value('tenantflow_run_duration_seconds_count{role="all",trigger="webhook",status="failed"}')).toBe(1);
    expect(value('tenantflow_sandbox_failures_total{kind="code",reason="user_error",role="all"}')).toBe(1);
    expect(value('tenantflow_rate_limit_refusals_total{limiter="webhook",role="all"}')).toBe(1);
    expect(receiver.bodies.join('\n')).not.toContain('thrown-canary-c41d');
    // Ids never become label values.
    for (const id of [a.id, failing, limited]) expect(text.includes(id)).toBe(false);
  });
});

describe('observability: tracing off', () => {
  it('exports nothing and logs no error when no OTLP endpoint is set', async () => {
    const receiver = await otlpReceiver();
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const server = await startServer({
      env: { NODE_ENV: 'test' },
      overrides: { DATABASE_URL: inject('databaseUrl'), PORT: '0', HOST: '127.0.0.1' },
      log: pino({ level: 'debug' }, sink),
    });
    try {
      expect(server.deps.tracing?.enabled).toBe(false);
      const created = await server.app
        .get(PlatformService)
        .createOrg(
          { name: 'tracing-off', slug: `tracing-off-${Date.now().toString(36)}` },
          { type: 'system', id: null },
        );
      // The flow helpers only need an HTTP client.
      const t = { http: () => request(server.url) } as unknown as TestApp;
      const key = created.ownerApiKey.key;
      const flowId = await publishedFlow(t, key, hookFlow([{ id: 'c', type: 'code', params: { code: 'return 1;' } }]));
      await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    } finally {
      await server.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.bodies).toEqual([]);
    await receiver.close();
    // The sink did receive the server's logs (access lines at debug level), none a warning or an error.
    expect(lines.some((l) => l.msg === 'request')).toBe(true);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.filter((l) => /trac|otlp|span/i.test(l.msg))).toEqual([]);
  });
});
