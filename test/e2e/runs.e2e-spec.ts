import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecoveryService } from '../../src/modules/execution/index.js';
import { uuidv7 } from '../../src/core/crypto/tokens.js';
import { createKey, exampleDefinition } from '../utils/flow-helpers.js';
import { allowHoldServer, holdNode, holdServer } from '../utils/hold-server.js';
import { finishedRun, hookFlow, listRuns, publishedFlow, republish } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

describe('runs: manual runs, history, cancellation, versions, recovery', () => {
  let t: TestApp;
  let a: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
  });
  afterAll(() => t.close());

  it('answers bad run requests with 4xx problem+json and starts no run', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: { type: 'manual' },
      nodes: [{ id: 'c', type: 'code', params: { code: 'return 1;' } }],
      edges: [{ from: 'trigger', to: 'c' }],
    });
    const post = (body: object, headers: Record<string, string> = {}) =>
      t.http().post(`/api/v1/flows/${flowId}/runs`).set(bearer(a.ownerKey)).set(headers).send(body);
    const cases: [object, Record<string, string>, number, string, string][] = [
      [{ input: {}, orgId: uuidv7() }, {}, 400, 'validation_failed', 'orgId'],
      [{ version: 'latest' }, {}, 400, 'validation_failed', 'version'],
      [{ version: 0 }, {}, 400, 'validation_failed', 'version'],
      [{ wait: 'yes' }, {}, 400, 'validation_failed', 'wait'],
      [{ input: 1 }, { 'Idempotency-Key': 'x'.repeat(300) }, 400, 'validation_failed', 'Idempotency-Key'],
    ];
    for (const [body, headers, status, code, path] of cases) {
      const res = await post(body, headers);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe(code);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect((await post({ version: 99 })).status).toBe(404);
    await t.http().post('/api/v1/flows/not-a-uuid/runs').set(bearer(a.ownerKey)).send({}).expect(404);
    await t.http().get('/api/v1/runs/not-a-uuid').set(bearer(a.ownerKey)).expect(404);
    await t.http().post(`/api/v1/runs/${uuidv7()}/cancel`).set(bearer(a.ownerKey)).expect(404);
    expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(0);
  });

  it('runs manually with wait, honours Idempotency-Key, and lists runs newest first', async () => {
    const def = {
      ...exampleDefinition(),
      trigger: { type: 'manual' },
      nodes: [{ id: 'c', type: 'code', params: { code: 'return { got: trigger.input.n * 3 };' } }],
      edges: [{ from: 'trigger', to: 'c' }],
    };
    const flowId = await publishedFlow(t, a.ownerKey, def);
    const run = (body: object, key?: string) => {
      const r = t.http().post(`/api/v1/flows/${flowId}/runs`).set(bearer(a.ownerKey));
      return (key ? r.set('Idempotency-Key', key) : r).send(body);
    };
    const first = await run({ input: { n: 2 }, wait: true }).expect(201);
    expect(first.body).toMatchObject({ status: 'succeeded', output: { got: 6 } });
    const again = await run({ input: { n: 2 }, wait: true }, 'k-1').expect(201);
    const repeat = await run({ input: { n: 2 }, wait: true }, 'k-1').expect(201);
    expect(repeat.body.runId).toBe(again.body.runId);
    expect((await run({ input: { n: 9 } }, 'k-1').expect(422)).body.code).toBe('idempotency_key_reused');
    const runs = await listRuns(t, a.ownerKey, flowId);
    expect(runs.map((r) => r.id)).toEqual([again.body.runId, first.body.runId]);
    const detail = await finishedRun(t, a.ownerKey, first.body.runId);
    expect(detail).toMatchObject({ status: 'succeeded', version: 1, trigger: 'manual', input: { input: { n: 2 } } });
  });

  it('runs the draft for editors; viewers may not run; other orgs see 404', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, exampleDefinition());
    const res = await t
      .http()
      .post(`/api/v1/flows/${flowId}/runs`)
      .set(bearer(a.ownerKey))
      .send({ version: 'draft', input: {}, wait: true })
      .expect(201);
    expect((await finishedRun(t, a.ownerKey, res.body.runId)).version).toBe('draft');
    const viewer = await createKey(t, a.id, 'viewer');
    await t.http().post(`/api/v1/flows/${flowId}/runs`).set(bearer(viewer)).send({}).expect(403);
    expect((await t.http().get(`/api/v1/runs/${res.body.runId}`).set(bearer(viewer)).expect(200)).body.id).toBe(
      res.body.runId,
    );
    const b = await t.createOrg();
    await t.http().get(`/api/v1/runs/${res.body.runId}`).set(bearer(b.ownerKey)).expect(404);
    await t.http().post(`/api/v1/flows/${flowId}/runs`).set(bearer(b.ownerKey)).send({}).expect(404);
    await t.http().post(`/api/v1/runs/${res.body.runId}/cancel`).set(bearer(b.ownerKey)).expect(404);
    // Another org's flow does not exist for b: its runs answer like the flow itself (issue 12).
    const listed = await t.http().get(`/api/v1/flows/${flowId}/runs`).set(bearer(b.ownerKey)).expect(404);
    const flow = await t.http().get(`/api/v1/flows/${flowId}`).set(bearer(b.ownerKey)).expect(404);
    expect(listed.body.code).toBe(flow.body.code);
    expect(listed.headers['content-type']).toContain('application/problem+json');
  });

  it('cancels a running run: it was running when cancelled, stays cancelled, and its later steps never run', async () => {
    const hold = await holdServer();
    try {
      await allowHoldServer(t, a.id);
      const flowId = await publishedFlow(
        t,
        a.ownerKey,
        hookFlow([holdNode(hold), { id: 'after', type: 'code', params: { code: 'return "ran";' } }], {
          respond: 'accepted',
        }),
      );
      const res = await t.http().post(`/hooks/${flowId}`).send({}).expect(202);
      await hold.arrived(); // the run is inside its first node now
      expect(
        (await t.http().get(`/api/v1/runs/${res.body.runId}`).set(bearer(a.ownerKey)).expect(200)).body.status,
      ).toBe('running');
      // The cancel answers once the run has stopped; whether the node notices the abort at once or only when its
      // request ends, the held request is answered only after the cancellation is recorded, and the run must not
      // go on with it.
      const cancelling = t
        .http()
        .post(`/api/v1/runs/${res.body.runId}/cancel`)
        .set(bearer(a.ownerKey))
        .then((r) => r);
      const status = () =>
        t
          .http()
          .get(`/api/v1/runs/${res.body.runId}`)
          .set(bearer(a.ownerKey))
          .then((r) => r.body.status as string);
      for (const until = Date.now() + 20_000; (await status()) !== 'cancelled' && Date.now() < until;)
        await new Promise((r) => setTimeout(r, 50));
      hold.release();
      const cancelled = await cancelling;
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      await t.http().post(`/api/v1/runs/${res.body.runId}/cancel`).set(bearer(a.ownerKey)).expect(409);
      const run = await finishedRun(t, a.ownerKey, res.body.runId);
      expect(run.status).toBe('cancelled');
      expect(run.steps.map((step: { nodeId: string }) => step.nodeId)).not.toContain('after');
    } finally {
      hold.close();
    }
  });

  it('pins a run to its version: publishing version 2 while version 1 runs does not change it', async () => {
    const hold = await holdServer();
    try {
      await allowHoldServer(t, a.id);
      const v1 = hookFlow([
        holdNode(hold),
        { id: 'c', type: 'code', params: { code: 'return "v1";' } },
        { id: 'r', type: 'respond', params: { body: '{{ input }}' } },
      ]);
      const v2 = hookFlow([
        { id: 'c', type: 'code', params: { code: 'return "v2";' } },
        { id: 'r', type: 'respond', params: { body: '{{ input }}' } },
      ]);
      const flowId = await publishedFlow(t, a.ownerKey, v1);
      const inFlight = t
        .http()
        .post(`/hooks/${flowId}`)
        .send({})
        .then((r) => r);
      await hold.arrived(); // version 1 is running now, and stays so until released
      expect(await republish(t, a.ownerKey, flowId, v2)).toBe(2);
      const second = await t.http().post(`/hooks/${flowId}`).send({}).expect(200); // overlaps the first
      expect(second.text).toBe('v2');
      hold.release();
      const first = await inFlight;
      expect(first.status).toBe(200);
      expect(first.text).toBe('v1');
      const runs = await listRuns(t, a.ownerKey, flowId);
      expect(runs.map((r) => r.version).sort()).toEqual([1, 2]);
    } finally {
      hold.close();
    }
  });

  it('marks runs of a dead process failed at recovery, and leaves live ones', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, exampleDefinition());
    const dead = uuidv7();
    const projectId = (await t.http().get(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).expect(200)).body
      .projectId;
    await t.server.deps.db.systemQuery(
      `INSERT INTO run (id, org_id, project_id, flow_id, flow_version, trigger_type, status, instance_id, started_at) VALUES ($1, $2, $3, $4, 1, 'manual', 'running', 'crashed-instance', now())`,
      [dead, a.id, projectId, flowId],
    );
    // A free lock is judged on two consecutive sweeps (a live process re-takes its lock after a PostgreSQL restart).
    const recovery = t.server.app.get(RunRecoveryService);
    await recovery.recover();
    const [still] = await t.server.deps.db.systemQuery<{ status: string }>(`SELECT status FROM run WHERE id = $1`, [
      dead,
    ]);
    expect(still.status).toBe('running');
    expect(await recovery.recover()).toBeGreaterThanOrEqual(1);
    const run = await finishedRun(t, a.ownerKey, dead);
    expect(run.status).toBe('failed');
    expect(run.error.message).toContain('server stopped');
  });
});
