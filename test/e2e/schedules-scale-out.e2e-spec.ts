import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uuidv7 } from '../../src/core/crypto/tokens.js';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A schedule flow whose one node is a trivial transform (no sandbox), so a run costs little CPU. */
const scheduleFlow = (cron: string, missed?: 'skip' | 'catchUp') => ({
  schemaVersion: 1,
  trigger: { type: 'schedule', settings: { cron, ...(missed ? { missed } : {}) } },
  nodes: [{ id: 't', type: 'transform', params: { fields: { ok: true } } }],
  edges: [{ from: 'trigger', to: 't' }],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/**
 * Issue 18 (scale-out): several processes on one database fire every schedule time exactly once, and times missed
 * while no process ran are caught up once (`missed: catchUp`) or skipped (the default).
 */
describe('schedules across processes', () => {
  let t: TestApp;
  let org: TestOrg;
  let owner: pg.Client;
  let children: ChildServer[] = [];

  /** Schedule runs of a flow: fire time (from the stored input) and idempotency key. */
  const fires = async (flowId: string) =>
    (
      await owner.query<{ at: string; key: string }>(
        `SELECT input->>'firedAt' AS at, idempotency_key AS key FROM run WHERE flow_id = $1 AND trigger_type = 'schedule'`,
        [flowId],
      )
    ).rows;

  const countByTime = (rows: { at: string }[]) => {
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(Date.parse(r.at), (counts.get(Date.parse(r.at)) ?? 0) + 1);
    return counts;
  };

  const startChildren = async () => {
    children = await Promise.all([startChildServer(), startChildServer()]);
  };
  const stopChildren = async () => {
    await Promise.all(children.map((c) => c.stop()));
    children = [];
  };

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await owner.connect();
  });
  afterAll(async () => {
    await stopChildren();
    await owner?.end();
    await t?.close();
  });

  it('a per-second schedule fires exactly once per second across three processes for a minute', async () => {
    await startChildren();
    const flowId = await publishedFlow(t, org.ownerKey, scheduleFlow('* * * * * *'));
    // Every process loads the flow on the enable notice; the window starts after that settles and ends a minute later.
    const from = floorTo(Date.now(), SECOND) + 3 * SECOND;
    const to = from + MINUTE;
    await sleep(to - Date.now() + 2 * SECOND);
    await t.http().post(`/api/v1/flows/${flowId}/disable`).set(bearer(org.ownerKey)).expect(200);
    await stopChildren();

    const rows = await fires(flowId);
    expect(rows.every((r) => r.key === `schedule:${r.at}`)).toBe(true);
    const counts = countByTime(rows);
    const missing: string[] = [];
    const doubled: string[] = [];
    for (let at = from; at <= to; at += SECOND) {
      const n = counts.get(at) ?? 0;
      if (n === 0) missing.push(new Date(at).toISOString());
      if (n > 1) doubled.push(new Date(at).toISOString());
    }
    expect({ missing, doubled }).toEqual({ missing: [], doubled: [] });
    expect([...counts.values()].every((n) => n === 1)).toBe(true); // none doubled outside the window either
    const { rows: unfinished } = await owner.query(
      `SELECT count(*)::int AS n FROM run WHERE flow_id = $1 AND status NOT IN ('succeeded')`,
      [flowId],
    );
    expect(unfinished[0].n).toBe(0);
  }, 150_000);

  it('catches up missed times once when processes start (catchUp) and resumes at the next time (skip)', async () => {
    // While no scheduler ran these flows: each last fired five minutes (the hourly one 30 hours) ago.
    const now = Date.now();
    const lastMinute = floorTo(now, MINUTE) - 5 * MINUTE;
    const lastHour = floorTo(now, HOUR) - 30 * HOUR;
    const flows = {
      catchUp: await publishedFlow(t, org.ownerKey, scheduleFlow('0 * * * * *', 'catchUp'), { enable: false }),
      skip: await publishedFlow(t, org.ownerKey, scheduleFlow('0 * * * * *'), { enable: false }),
      hourly: await publishedFlow(t, org.ownerKey, scheduleFlow('0 0 * * * *', 'catchUp'), { enable: false }),
      // Off since its last fire and enabled just now: the time it was off is not caught up.
      justEnabled: await publishedFlow(t, org.ownerKey, scheduleFlow('0 * * * * *', 'catchUp'), { enable: false }),
    };
    // The org has been active for days (it was created by this test run).
    await owner.query(`UPDATE organization SET activated_at = now() - interval '2 days' WHERE id = $1`, [org.id]);
    const arrange = async (flowId: string, lastFire: number, enabledLongAgo = true) => {
      const at = new Date(lastFire).toISOString();
      await owner.query(
        `INSERT INTO run (id, org_id, project_id, flow_id, flow_version, trigger_type, status, input, idempotency_key,
                          created_at, started_at, finished_at)
         SELECT $1, org_id, project_id, id, 1, 'schedule', 'succeeded', $2, $3, $4, $4, $4 FROM flow WHERE id = $5`,
        [uuidv7(), { firedAt: at }, `schedule:${at}`, at, flowId],
      );
      // Enabled two days ago, without telling the running processes (as if every one of them was down).
      await owner.query(`UPDATE flow SET enabled = true WHERE id = $1`, [flowId]);
      if (enabledLongAgo)
        await owner.query(`UPDATE flow SET enabled_at = now() - interval '2 days' WHERE id = $1`, [flowId]);
    };
    await arrange(flows.catchUp, lastMinute);
    await arrange(flows.skip, lastMinute);
    await arrange(flows.hourly, lastHour);
    await arrange(flows.justEnabled, lastMinute, false);

    const started = Date.now();
    await startChildren();
    const expectedMinutes = Array.from({ length: 5 }, (_, i) => lastMinute + (i + 1) * MINUTE);
    // The window keeps the last 24 hours of hourly times, not the 30 missed.
    const windowStart = started - 24 * HOUR;
    const expectedHours = Array.from({ length: 30 }, (_, i) => lastHour + (i + 1) * HOUR).filter(
      (h) => h > windowStart + HOUR && h <= started,
    );
    const until = Date.now() + 30_000;
    for (;;) {
      const minutes = countByTime(await fires(flows.catchUp));
      const hours = countByTime(await fires(flows.hourly));
      if (expectedMinutes.every((m) => minutes.has(m)) && expectedHours.every((h) => hours.has(h))) break;
      if (Date.now() > until) break;
      await sleep(250);
    }
    await sleep(3 * SECOND); // a slower process would add its duplicates by now
    await stopChildren();

    const minutes = countByTime(await fires(flows.catchUp));
    expect(expectedMinutes.map((m) => minutes.get(m))).toEqual(expectedMinutes.map(() => 1));
    expect([...minutes.values()].every((n) => n === 1)).toBe(true);

    const hours = countByTime(await fires(flows.hourly));
    expect(expectedHours.map((h) => hours.get(h))).toEqual(expectedHours.map(() => 1));
    expect([...hours.values()].every((n) => n === 1)).toBe(true);
    const caughtUp = [...hours.keys()].filter((h) => h !== lastHour);
    expect(caughtUp.every((h) => h > windowStart - 5 * MINUTE)).toBe(true); // nothing older than the window
    expect(caughtUp.length).toBeGreaterThanOrEqual(23);
    expect(caughtUp.length).toBeLessThanOrEqual(25);

    // skip: only the arranged fire time and times after the flow was enabled (none of the five missed).
    const skipped = [...countByTime(await fires(flows.skip)).keys()].filter((m) => m !== lastMinute);
    expect(skipped.every((m) => m > now)).toBe(true);
    const justEnabled = [...countByTime(await fires(flows.justEnabled)).keys()].filter((m) => m !== lastMinute);
    expect(justEnabled.every((m) => m > now)).toBe(true);

    for (const id of Object.values(flows))
      await t.http().post(`/api/v1/flows/${id}/disable`).set(bearer(org.ownerKey)).expect(200);
  }, 120_000);
});
