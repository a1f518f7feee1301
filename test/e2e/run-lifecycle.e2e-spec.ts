import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/crypto/tokens.js';
import { exampleDefinition } from '../utils/flow-helpers.js';
import { finishedRun, hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const FIVE_MIB = 5 * 1024 * 1024;
const bigOutput = { id: 'c', type: 'code', params: { code: `return 'x'.repeat(${FIVE_MIB});` } };

/** Issue 12 fixes around the run lifecycle: run lists of unknown flows, authz checks on one flow, large answers. */
describe('run lifecycle: answers of the runs API', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
  });
  afterAll(() => t?.close());

  it('lists runs of a flow that does not exist in the org with the same 404 as the flow itself', async () => {
    const unknown = uuidv7();
    const runs = await t.http().get(`/api/v1/flows/${unknown}/runs`).set(bearer(a.ownerKey)).expect(404);
    const flow = await t.http().get(`/api/v1/flows/${unknown}`).set(bearer(a.ownerKey)).expect(404);
    expect(runs.headers['content-type']).toContain('application/problem+json');
    expect(runs.body.code).toBe(flow.body.code);
    expect(runs.body.code).toBe('flow_not_found');
    const flowId = await publishedFlow(t, a.ownerKey, { ...exampleDefinition(), trigger: { type: 'manual' } });
    expect((await t.http().get(`/api/v1/flows/${flowId}/runs`).set(bearer(a.ownerKey)).expect(200)).body.items).toEqual(
      [],
    );
    expect((await t.http().get(`/api/v1/flows/${flowId}/runs`).set(bearer(b.ownerKey)).expect(404)).body.code).toBe(
      'flow_not_found',
    );
    await t.http().delete(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).expect(204);
    expect((await t.http().get(`/api/v1/flows/${flowId}/runs`).set(bearer(a.ownerKey)).expect(404)).body.code).toBe(
      'flow_not_found',
    );
  });

  it('authz/check answers about one flow', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, { ...exampleDefinition(), trigger: { type: 'manual' } });
    const check = (key: string, body: Record<string, unknown>) =>
      t.http().post('/api/v1/authz/check').set(bearer(key)).send(body).expect(200);
    const own = await check(a.ownerKey, { action: 'update', subject: 'Flow', subjectId: flowId });
    expect(own.body).toEqual({ allowed: true, reason: expect.stringContaining('update Flow') });
    const foreign = await check(b.ownerKey, { action: 'read', subject: 'Flow', subjectId: flowId });
    expect(foreign.body).toEqual({ allowed: false, reason: 'No Flow with that id in this organization' });
    expect((await check(a.ownerKey, { action: 'read', subject: 'Flow', subjectId: uuidv7() })).body.allowed).toBe(
      false,
    );
    expect((await check(a.ownerKey, { action: 'read', subject: 'Flow', subjectId: 'nope' })).body.allowed).toBe(false);
  });

  it('a waiting manual run answers a large output as the stored truncated preview', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: { type: 'manual' },
      nodes: [bigOutput],
      edges: [{ from: 'trigger', to: 'c' }],
    });
    const res = await t
      .http()
      .post(`/api/v1/flows/${flowId}/runs`)
      .set(bearer(a.ownerKey))
      .send({ wait: true })
      .expect(201);
    expect(res.body.status).toBe('succeeded');
    expect(res.body.output).toMatchObject({ truncated: true, bytes: FIVE_MIB + 2 });
    expect(res.body.output.preview.length).toBeLessThanOrEqual(64 * 1024);
    expect(JSON.stringify(res.body).length).toBeLessThan(1024 * 1024);
    const stored = await finishedRun(t, a.ownerKey, res.body.runId);
    expect(stored.output).toEqual(res.body.output);
    expect(stored.steps[0].output).toMatchObject({ truncated: true, bytes: FIVE_MIB + 2 });
  });

  it('a waiting webhook run without a respond node answers a large output truncated too', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, hookFlow([bigOutput]));
    const res = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(res.body.output).toMatchObject({ truncated: true, bytes: FIVE_MIB + 2 });
    expect(JSON.stringify(res.body).length).toBeLessThan(1024 * 1024);
  });
});
