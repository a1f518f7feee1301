import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/modules/webhooks/index.js';
import { createFlow, createProject, exampleDefinition, saveDraft } from '../utils/flow-helpers.js';
import { finishedRun, hookFlow, listRuns, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

describe('webhook triggers /hooks/:flowId', () => {
  let t: TestApp;
  let a: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_BODY_LIMIT: '65536' });
    a = await t.createOrg();
  });
  afterAll(() => t.close());

  it('runs the published API.md example and answers with the respond node', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, exampleDefinition());
    const res = await t.http().post(`/hooks/${flowId}`).send({ a: 2, b: 3 }).expect(200);
    expect(res.body).toEqual({ doubled: 10 });
    expect(res.headers['x-request-id']).toBeDefined();
    const runs = await listRuns(t, a.ownerKey, flowId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', version: 1, trigger: 'webhook' });
    const run = await finishedRun(t, a.ownerKey, runs[0].id);
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['sum', 'succeeded'],
      ['double', 'succeeded'],
      ['reply', 'succeeded'],
    ]);
    expect(run.steps[1].output).toEqual({ doubled: 10 });
    expect(run.input.body).toEqual({ a: 2, b: 3 });
    // The lean handler shares the API's request handling: echoed request id, security headers, route metric.
    const echoed = await t
      .http()
      .post(`/hooks/${flowId}`)
      .set('X-Request-Id', 'hook-req-1')
      .send({ a: 1, b: 1 })
      .expect(200);
    expect(echoed.headers['x-request-id']).toBe('hook-req-1');
    expect(echoed.headers['x-content-type-options']).toBe('nosniff');
    expect(echoed.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await t.http().get('/metrics')).text).toMatch(
      /http_request_duration_seconds_count\{role="all",method="POST",route="\/hooks\/:flowId",status="200"\} [1-9]/,
    );
  });

  it('answers 404 with the same body for unknown, unpublished, disabled and non-webhook flows', async () => {
    // Never published: a webhook draft saved, no version.
    const projectId = await createProject(t, a.ownerKey);
    const unpublished = await createFlow(t, a.ownerKey, projectId, 'never-published');
    await saveDraft(t, a.ownerKey, unpublished, exampleDefinition());
    const disabled = await publishedFlow(t, a.ownerKey, exampleDefinition(), { enable: false });
    const manual = await publishedFlow(t, a.ownerKey, { ...exampleDefinition(), trigger: { type: 'manual' } });
    const bodies = [];
    for (const id of ['00000000-0000-7000-8000-000000000000', unpublished, disabled, manual, 'not-a-uuid']) {
      const res = await t.http().post(`/hooks/${id}`).send({ a: 1, b: 1 }).expect(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      bodies.push({ code: res.body.code, detail: res.body.detail });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(await listRuns(t, a.ownerKey, unpublished)).toHaveLength(0);
    expect(await listRuns(t, a.ownerKey, disabled)).toHaveLength(0);
    // Methods the trigger does not accept are equally unknown.
    const flowId = await publishedFlow(t, a.ownerKey, exampleDefinition());
    await t.http().get(`/hooks/${flowId}`).expect(404);
  });

  it('answers 202 {runId} for accepted triggers, and text/plain for string bodies', async () => {
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 201, body: 'hello {{ trigger.body.name }}' } }], {
        respond: 'accepted',
      }),
    );
    const res = await t.http().post(`/hooks/${flowId}`).send({ name: 'ann' }).expect(202);
    const run = await finishedRun(t, a.ownerKey, res.body.runId);
    expect(run.status).toBe('succeeded');
    const waited = await t.http().post(`/hooks/${flowId}?wait=true`).send({ name: 'bob' }).expect(201);
    expect(waited.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(waited.text).toBe('hello bob');
  });

  it('refuses bodies over the limit (413) and malformed JSON (400), with no run', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, exampleDefinition());
    await t.http().post(`/hooks/${flowId}`).set('content-type', 'application/json').send('{"a":').expect(400);
    await t
      .http()
      .post(`/hooks/${flowId}`)
      .send({ big: 'x'.repeat(70_000) })
      .expect(413);
    expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(0);
  });

  describe('hmac', () => {
    const secret = 'whsec_e2e_0123456789abcdef';
    let flowId: string;
    const body = JSON.stringify({ a: 20, b: 22 });
    const post = (headers: Record<string, string>) =>
      t.http().post(`/hooks/${flowId}`).set('content-type', 'application/json').set(headers).send(body);

    beforeAll(async () => {
      flowId = await publishedFlow(t, a.ownerKey, {
        ...exampleDefinition(),
        trigger: { type: 'webhook', settings: { auth: { mode: 'hmac', secret }, respond: 'wait' } },
      });
    });

    it('runs a validly signed request', async () => {
      const res = await post(signRequest('generic', secret, body)).expect(200);
      expect(res.body).toEqual({ doubled: 84 });
      expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(1);
    });

    it('refuses a wrong signature, a stale timestamp and a replay with 401 and no run', async () => {
      const now = Math.floor(Date.now() / 1000);
      const wrong = await post(signRequest('generic', 'not-the-secret', body, now)).expect(401);
      expect(wrong.body.code).toBe('unauthenticated');
      await post(signRequest('generic', secret, body, now - 600)).expect(401);
      await post({}).expect(401);
      // A timestamp no earlier test signed (the same second would already be a replay).
      const once = signRequest('generic', secret, body, now - 7);
      await post(once).expect(200);
      await post(once).expect(401);
      expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(2);
    });

    it('accepts GitHub- and Stripe-style signatures', async () => {
      const gh = await publishedFlow(t, a.ownerKey, {
        ...exampleDefinition(),
        trigger: {
          type: 'webhook',
          settings: { auth: { mode: 'hmac', secret, signatureHeader: 'X-Hub-Signature-256' }, respond: 'wait' },
        },
      });
      await t
        .http()
        .post(`/hooks/${gh}`)
        .set('content-type', 'application/json')
        .set(signRequest('github', secret, body))
        .send(body)
        .expect(200);
      const st = await publishedFlow(t, a.ownerKey, {
        ...exampleDefinition(),
        trigger: {
          type: 'webhook',
          settings: { auth: { mode: 'hmac', secret, signatureHeader: 'Stripe-Signature' }, respond: 'wait' },
        },
      });
      await t
        .http()
        .post(`/hooks/${st}`)
        .set('content-type', 'application/json')
        .set(signRequest('stripe', secret, body))
        .send(body)
        .expect(200);
      await t
        .http()
        .post(`/hooks/${st}`)
        .set('content-type', 'application/json')
        .set(signRequest('stripe', 'nope', body))
        .send(body)
        .expect(401);
    });

    it('never stores the signing secret or credentials in the run', async () => {
      const runs = await listRuns(t, a.ownerKey, flowId);
      const run = await finishedRun(t, a.ownerKey, runs[0].id);
      expect(JSON.stringify(run)).not.toContain(secret);
    });
  });

  it('header and basic auth refuse wrong credentials; handshakes answer without a run', async () => {
    const header = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: {
        type: 'webhook',
        settings: { auth: { mode: 'header', name: 'X-Hook-Token', value: 'tok_0123456789' }, respond: 'wait' },
      },
    });
    await t.http().post(`/hooks/${header}`).set('X-Hook-Token', 'tok_0123456789').send({ a: 1, b: 2 }).expect(200);
    await t.http().post(`/hooks/${header}`).set('X-Hook-Token', 'tok_wrong').send({ a: 1, b: 2 }).expect(401);
    const basic = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: {
        type: 'webhook',
        settings: { auth: { mode: 'basic', username: 'u', password: 'pw-0123456' }, respond: 'wait' },
      },
    });
    await t.http().post(`/hooks/${basic}`).auth('u', 'pw-0123456').send({ a: 1, b: 2 }).expect(200);
    await t.http().post(`/hooks/${basic}`).auth('u', 'nope').send({ a: 1, b: 2 }).expect(401);
    const hs = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: {
        type: 'webhook',
        settings: {
          auth: { mode: 'header', name: 'X-Hook-Token', value: 'tok_0123456789' },
          respond: 'wait',
          methods: ['GET', 'POST'],
          handshake: {
            source: 'query',
            challengeField: 'hub.challenge',
            verifyTokenField: 'hub.verify_token',
            verifyToken: 'vt-123456',
          },
        },
      },
    });
    const ok = await t.http().get(`/hooks/${hs}?hub.challenge=c-42&hub.verify_token=vt-123456`).expect(200);
    expect(ok.text).toBe('c-42');
    await t.http().get(`/hooks/${hs}?hub.challenge=c-42&hub.verify_token=bad`).expect(401);
    expect(await listRuns(t, a.ownerKey, hs)).toHaveLength(0);
  });

  it('refuses webhooks of a suspended org with 404', async () => {
    const b = await t.createOrg();
    const flowId = await publishedFlow(t, b.ownerKey, exampleDefinition());
    await t.http().post(`/hooks/${flowId}`).send({ a: 1, b: 1 }).expect(200);
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${b.id}`)
      .set(bearer(t.platformKey))
      .send({ status: 'suspended' })
      .expect(200);
    await t.http().post(`/hooks/${flowId}`).send({ a: 1, b: 1 }).expect(404);
  });
});
