import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextFireTime } from '../../src/modules/execution/runs/schedule.service.js';
import { finishedRun, listRuns, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

describe('schedule triggers', () => {
  let t: TestApp;
  let a: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
  });
  afterAll(() => t.close());

  it('computes fire times in the trigger time zone', () => {
    const after = new Date('2026-03-01T10:30:00Z');
    expect(nextFireTime({ cron: '0 9 * * *', timezone: 'UTC' }, after)?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(nextFireTime({ cron: '0 9 * * *', timezone: 'America/New_York' }, after)?.toISOString()).toBe(
      '2026-03-01T14:00:00.000Z',
    );
    expect(nextFireTime({ cron: 'not a cron' }, after)).toBeNull();
  });

  it('runs an enabled published schedule flow, and stops when it is disabled', async () => {
    const def = {
      schemaVersion: 1,
      trigger: { type: 'schedule', settings: { cron: '* * * * * *', timezone: 'Europe/Paris' } },
      nodes: [{ id: 'c', type: 'code', params: { code: 'return { at: trigger.firedAt };' } }],
      edges: [{ from: 'trigger', to: 'c' }],
    };
    const flowId = await publishedFlow(t, a.ownerKey, def);
    const until = Date.now() + 30_000; // a per-second schedule; generous for a busy machine, ends as soon as 2 ran
    let runs = await listRuns(t, a.ownerKey, flowId);
    while (runs.length < 2 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      runs = await listRuns(t, a.ownerKey, flowId);
    }
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.trigger === 'schedule' && r.version === 1)).toBe(true);
    const run = await finishedRun(t, a.ownerKey, runs.at(-1)!.id);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0].output.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    await t.http().post(`/api/v1/flows/${flowId}/disable`).set(bearer(a.ownerKey)).expect(200);
    // Runs the scheduler started before it saw the disable may still appear and finish: wait until every run has
    // ended and the list has been still for a while (bounded), then no new run may start over several firings.
    let settled = await listRuns(t, a.ownerKey, flowId);
    for (let still = 0, deadline = Date.now() + 30_000; still < 6 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await listRuns(t, a.ownerKey, flowId);
      const ended = now.every((r) => !['queued', 'running'].includes(r.status));
      still = ended && now.length === settled.length ? still + 1 : 0;
      settled = now;
    }
    expect(settled.every((r) => !['queued', 'running'].includes(r.status))).toBe(true);
    await new Promise((r) => setTimeout(r, 3000)); // three firings of the per-second schedule
    expect((await listRuns(t, a.ownerKey, flowId)).length).toBe(settled.length);
  });
});
