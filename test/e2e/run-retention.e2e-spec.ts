import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppConfig } from '../../src/core/config/app-config.js';
import { uuidv7 } from '../../src/core/crypto/tokens.js';
import { Database } from '../../src/core/database/database.js';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { LOGGER } from '../../src/core/logging/logger.js';
import { RUN_RETENTION_LOCK, RunRetentionService } from '../../src/modules/execution/runs/run-retention.service.js';
import { createFlow, createProject } from '../utils/flow-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Issue 18: run history past each org's retention is deleted in batches, by one process at a time. */
describe('run history retention', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let owner: pg.Client;
  let watcher: pg.Client;
  let events: DomainEvent[];

  const patch = (org: TestOrg, body: unknown) =>
    t
      .http()
      .patch(`/api/v1/platform/orgs/${org.id}`)
      .set(bearer(t.platformKey))
      .send(body as object);

  /** A run of `org` in `status`, ended `daysAgo` days ago (unfinished ones started then), with two steps. */
  const addRun = async (org: TestOrg, flowId: string, status: string, daysAgo: number): Promise<string> => {
    const id = uuidv7();
    const at = new Date(Date.now() - daysAgo * DAY);
    const finished = ['queued', 'running'].includes(status) ? null : at;
    await owner.query(
      `INSERT INTO run (id, org_id, project_id, flow_id, flow_version, trigger_type, status, input, created_at, started_at, finished_at)
       SELECT $1, org_id, project_id, id, NULL, 'manual', $2, '{}', $3, $3, $4 FROM flow WHERE id = $5`,
      [id, status, at, finished, flowId],
    );
    for (const seq of [0, 1])
      await owner.query(
        `INSERT INTO step_run (id, org_id, run_id, seq, node_id, node_type, attempt, status, started_at, duration_ms)
         VALUES ($1, $2, $3, $4, 'n', 'transform', 1, 'succeeded', $5, 1)`,
        [uuidv7(), org.id, id, seq, at],
      );
    return id;
  };
  const existing = async (ids: string[]) =>
    (await owner.query<{ id: string }>(`SELECT id FROM run WHERE id = ANY($1::uuid[])`, [ids])).rows.map((r) => r.id);
  const steps = async (ids: string[]) =>
    (await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM step_run WHERE run_id = ANY($1::uuid[])`, [ids]))
      .rows[0].n;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    events = [];
    t.server.deps.events.subscribe(async (_em, e) => void events.push(e));
    owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await owner.connect();
    watcher = new pg.Client({ connectionString: inject('databaseUrl') });
    await watcher.connect();
  });
  afterAll(async () => {
    await owner?.end();
    await watcher?.end();
    await t?.close();
  });

  it('is an operator setting: validated, shown read-only to org admins and audited', async () => {
    await patch(a, { settings: { runRetentionDays: 0 } }).expect(400);
    await patch(a, { settings: { runRetentionDays: 3651 } }).expect(400);
    await patch(a, { settings: { runRetentionDays: '7' } }).expect(400);
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${a.id}`)
      .set(bearer(a.ownerKey))
      .send({ settings: { runRetentionDays: 7 } })
      .expect(403);
    await t
      .http()
      .patch('/api/v1/org')
      .set(bearer(a.ownerKey))
      .send({ settings: { runRetentionDays: 7 } })
      .expect(400);
    events.length = 0;
    const res = await patch(a, { settings: { runRetentionDays: 7 } }).expect(200);
    expect(res.body.settings).toEqual({ egressAllowlist: [], limits: {}, runRetentionDays: 7 });
    const view = await t.http().get('/api/v1/org').set(bearer(a.ownerKey)).expect(200);
    expect(view.body.settings.runRetentionDays).toBe(7);
    expect(events).toContainEqual(
      expect.objectContaining({
        action: 'org.updated',
        orgId: a.id,
        metadata: expect.objectContaining({
          before: expect.objectContaining({ settings: { egressAllowlist: [], limits: {} } }),
          after: expect.objectContaining({ settings: { egressAllowlist: [], limits: {}, runRetentionDays: 7 } }),
        }),
      }),
    );
    // null removes the override; other settings are kept.
    await patch(b, { settings: { runRetentionDays: 5, limits: { maxSteps: 10 } } }).expect(200);
    const cleared = await patch(b, { settings: { runRetentionDays: null } }).expect(200);
    expect(cleared.body.settings).toEqual({ egressAllowlist: [], limits: { maxSteps: 10 } });
  });

  it("deletes only finished runs past their org's retention, with their steps, in batches", async () => {
    const flowA = await createFlow(t, a.ownerKey, await createProject(t, a.ownerKey), 'ra');
    const flowB = await createFlow(t, b.ownerKey, await createProject(t, b.ownerKey), 'rb');
    // org a keeps 7 days (set above); org b the server default of 30.
    const oldA = [
      await addRun(a, flowA, 'succeeded', 10),
      await addRun(a, flowA, 'failed', 8),
      await addRun(a, flowA, 'cancelled', 40),
      await addRun(a, flowA, 'timed_out', 9),
      await addRun(a, flowA, 'succeeded', 100),
    ];
    const keptA = [
      await addRun(a, flowA, 'succeeded', 3),
      await addRun(a, flowA, 'running', 60), // in progress: never deleted, however old
      await addRun(a, flowA, 'queued', 60),
    ];
    const keptB = [await addRun(b, flowB, 'succeeded', 10), await addRun(b, flowB, 'failed', 29)];
    const oldB = [await addRun(b, flowB, 'succeeded', 31)];

    const purged = await t.server.app.get(RunRetentionService).runOnce(new Date(), 2);
    expect(purged).toEqual(
      expect.arrayContaining([
        { orgId: a.id, removed: 5 },
        { orgId: b.id, removed: 1 },
      ]),
    );
    expect(await existing([...oldA, ...oldB])).toEqual([]);
    expect(await steps([...oldA, ...oldB])).toBe(0);
    expect((await existing([...keptA, ...keptB])).sort()).toEqual([...keptA, ...keptB].sort());
    expect(await steps([...keptA, ...keptB])).toBe(10);
    // Nothing left to do: a second pass deletes nothing of these orgs.
    const again = await t.server.app.get(RunRetentionService).runOnce(new Date(), 2);
    expect(again!.map((p) => p.orgId)).not.toContain(a.id);
    expect(again!.map((p) => p.orgId)).not.toContain(b.id);
  });

  it('runs in one process at a time: a second instance finds the lock taken and does nothing', async () => {
    const flowA = await createFlow(t, a.ownerKey, await createProject(t, a.ownerKey), 'rl');
    const old = await addRun(a, flowA, 'succeeded', 20);
    const app = t.server.app;
    // Two instances, each with its own connection, as two processes would have.
    const first = app.get(RunRetentionService);
    const second = new RunRetentionService(false, app.get(Database), app.get(AppConfig), app.get(LOGGER));

    // Hold the first inside its pass: it takes the lock, then waits on the org list this transaction locks.
    await owner.query('BEGIN');
    await owner.query('LOCK TABLE organization IN ACCESS EXCLUSIVE MODE');
    const firstPass = first.runOnce();
    // Read outside that transaction, which would keep one snapshot of pg_stat_activity.
    const holder = async () =>
      (
        await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND s.application_name = 'tenantflow:retention'
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      ).rows[0].n;
    for (const until = Date.now() + 10_000; (await holder()) === 0 && Date.now() < until;) await sleep(20);
    expect(await holder()).toBe(1);

    expect(await second.runOnce()).toBeNull();
    expect(await existing([old])).toEqual([old]); // the second instance deleted nothing

    await owner.query('COMMIT');
    expect(await firstPass).toEqual(expect.arrayContaining([{ orgId: a.id, removed: 1 }]));
    expect(await existing([old])).toEqual([]);
    expect(await holder()).toBe(0); // the lock ends with the pass

    // Free again: the second instance now runs.
    expect(await second.runOnce()).toEqual(expect.any(Array));
    // The lock is named: an operator (or another job) holding it keeps both away.
    await owner.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [RUN_RETENTION_LOCK]);
    expect(await first.runOnce()).toBeNull();
    await owner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [RUN_RETENTION_LOCK]);
  });
});
