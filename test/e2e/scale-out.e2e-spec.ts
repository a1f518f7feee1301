import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/core/database/embedded-postgres.js';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Issue 18, must-show 1 and 2: two `api` and two `worker` processes on loopback, on a PostgreSQL and a Redis of this
 * test's own (so restarting them disturbs no other test file): a few thousand webhook runs, waiting and not,
 * each executed exactly once; a worker killed mid-run; Redis, then PostgreSQL, restarted under load.
 */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) console.warn('SKIP scale-out (api and worker processes): no redis-server binary on this machine');

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A private redis-server (no persistence, like the machine's): stopping it loses every queued job. */
class PrivateRedis {
  private proc?: ChildProcess;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (
        spawnSync('redis-cli', ['-p', String(this.port), 'ping'])
          .stdout?.toString()
          .includes('PONG')
      )
        return;
      await sleep(50);
    }
    throw new Error('private redis-server did not start');
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGKILL');
    await once(p, 'exit');
  }
}

/** Counts the calls of each run's http.request node (its body names the request), and can hold them. */
async function counterServer() {
  const seen = new Map<string, number>();
  const held: ServerResponse[] = [];
  let holding = false;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const id = (JSON.parse(body || '{}') as { id?: string }).id ?? '?';
      seen.set(id, (seen.get(id) ?? 0) + 1);
      if (holding) return void held.push(res);
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      // `/slow`: a node that takes a while, so a flooding org's runs occupy their slots.
      if (req.url?.startsWith('/slow')) setTimeout(answer, 100);
      else answer();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/count`,
    seen,
    held: () => held.length,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      held.splice(0).forEach((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    },
    close: () => server.close(),
  };
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const hook = (base: string, flowId: string, id: string) =>
  fetch(`${base}/hooks/${flowId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id }),
    signal: AbortSignal.timeout(60_000),
  });

describe.skipIf(!hasRedisServer)('scale-out: api and worker processes on BullMQ', () => {
  let dir: string;
  let pg: EmbeddedDatabase;
  let pgPort: number;
  let redis: PrivateRedis;
  let t: TestApp;
  let org: TestOrg;
  let counter: Awaited<ReturnType<typeof counterServer>>;
  const children: ChildServer[] = [];
  let apis: ChildServer[] = [];
  let workers: ChildServer[] = [];
  let waitFlow: string;
  let acceptedFlow: string;
  const log = pino({ level: 'silent' });

  const startWorker = () =>
    startChildServer({
      timeoutMs: 90_000,
      redisUrl: redis.url,
      settings: { DATABASE_URL: pg.url, TENANTFLOW_MODE: 'worker', TENANTFLOW_RECOVERY_INTERVAL: '1000' },
    }).then((c) => (children.push(c), c));
  const startApi = () =>
    startChildServer({
      timeoutMs: 90_000,
      redisUrl: redis.url,
      settings: { DATABASE_URL: pg.url, TENANTFLOW_MODE: 'api' },
    }).then((c) => (children.push(c), c));

  const runsOf = async (flowId: string) =>
    t.server.deps.db.systemQuery<{ id: string; status: string; error_message: string | null }>(
      `SELECT id, status, error_message FROM run WHERE flow_id = $1`,
      [flowId],
    );

  /** Waits until no run of the flows is queued or running. */
  const settled = async (flowIds: string[], timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await t.server.deps.db
        .systemQuery<{ n: string }>(
          `SELECT count(*) AS n FROM run WHERE flow_id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
          [flowIds],
        )
        .catch(() => [{ n: '-1' }]);
      if (row.n === '0') return;
      if (Date.now() > until) {
        const left = await t.server.deps.db.systemQuery(
          `SELECT status, instance_id, launch IS NOT NULL AS sealed, created_at, started_at FROM run
            WHERE flow_id = ANY($1::uuid[]) AND status IN ('queued', 'running') LIMIT 5`,
          [flowIds],
        );
        throw new Error(`runs still unfinished: ${row.n}: ${JSON.stringify(left)}`);
      }
      await sleep(250);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tf-scale-'));
    chmodSync(dir, 0o711); // as root, PostgreSQL runs as 'postgres' and must traverse into it
    pgPort = await freePort();
    pg = await startEmbeddedPostgres(dir, log, { port: pgPort });
    redis = new PrivateRedis(await freePort());
    await redis.start();
    // The test's own process (mode `all`) migrates the database and sets up orgs and flows through the API.
    t = await createTestApp({ DATABASE_URL: pg.url, REDIS_URL: redis.url });
    org = await t.createOrg();
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = coalesce(settings, '{}'::jsonb) || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [org.id],
    );
    counter = await counterServer();
    const call = {
      id: 'count',
      type: 'http.request',
      params: { method: 'POST', url: counter.url, body: { id: '{{ trigger.body.id }}' } },
    };
    const answer = { id: 'answer', type: 'respond', params: { status: 200, body: { id: '{{ trigger.body.id }}' } } };
    waitFlow = await publishedFlow(t, org.ownerKey, hookFlow([call, answer]));
    acceptedFlow = await publishedFlow(t, org.ownerKey, hookFlow([call], { respond: 'accepted' }));
    // Started one after the other: four processes at once on two cores starve each other's start.
    apis = [await startApi(), await startApi()];
    workers = [await startWorker(), await startWorker()];
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled(children.map((c) => c.stop()));
    await t?.close();
    counter?.close();
    await redis?.stop();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a worker serves only its probes, and an api process executes nothing itself', async () => {
    expect((await fetch(`${workers[0].url}/health/ready`)).status).toBe(200);
    const refused = await fetch(`${workers[0].url}/api/v1/org`);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${workers[0].url}/hooks/${waitFlow}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${apis[0].url}/health/ready`)).status).toBe(200);
  });

  it('every one of a few thousand webhook runs, waiting and not, through two api processes completes exactly once', async () => {
    const n = 1000;
    const waited = await pool(
      Array.from({ length: n }, (_, i) => `w-${i}`),
      24,
      async (id, i) => {
        const res = await hook(apis[i % 2].url, waitFlow, id);
        return { status: res.status, body: (await res.json()) as { id?: string } };
      },
    );
    const accepted = await pool(
      Array.from({ length: n }, (_, i) => `a-${i}`),
      24,
      async (id, i) => {
        const res = await hook(apis[i % 2].url, acceptedFlow, id);
        return { status: res.status, body: (await res.json()) as { runId?: string } };
      },
    );
    // A waiting caller gets its own run's answer, from whichever worker ran it.
    waited.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.id).toBe(`w-${i}`);
    });
    accepted.forEach((r) => expect(r.status).toBe(202));
    await settled([waitFlow, acceptedFlow], 120_000);
    const runs = [...(await runsOf(waitFlow)), ...(await runsOf(acceptedFlow))];
    expect(runs).toHaveLength(2 * n);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(new Set(accepted.map((r) => r.body.runId)).size).toBe(n);
    // Executed exactly once: every run's node called the counter once.
    for (let i = 0; i < n; i++) {
      expect(counter.seen.get(`w-${i}`)).toBe(1);
      expect(counter.seen.get(`a-${i}`)).toBe(1);
    }
  }, 300_000);

  it('a worker stopped with SIGTERM finishes its runs; one killed mid-run leaves none running (failed with a reason)', async () => {
    // Graceful: runs held at their http node while the worker is told to stop, then let go: they finish.
    counter.hold();
    const graceful = await pool(['g-0', 'g-1', 'g-2', 'g-3'], 4, (id, i) => hook(apis[i % 2].url, acceptedFlow, id));
    graceful.forEach((r) => expect(r.status).toBe(202));
    while (counter.held() < 4) await sleep(50);
    const stopping = Promise.all(workers.map((w) => w.stop()));
    await sleep(500);
    counter.release();
    await stopping;
    await settled([acceptedFlow], 30_000);
    expect((await runsOf(acceptedFlow)).filter((r) => r.status !== 'succeeded')).toEqual([]);

    // Killed: one worker executes every run, is killed while they are held, and a new worker ends them.
    const lone = await startWorker();
    counter.hold();
    const ids = Array.from({ length: 6 }, (_, i) => `k-${i}`);
    const started = await pool(
      ids,
      6,
      async (id, i) => (await (await hook(apis[i % 2].url, acceptedFlow, id)).json()) as { runId: string },
    );
    while (counter.held() < ids.length) await sleep(50);
    await lone.kill();
    counter.release();
    workers = [await startWorker(), await startWorker()];
    await settled([acceptedFlow], 60_000);
    const byId = new Map((await runsOf(acceptedFlow)).map((r) => [r.id, r]));
    for (const { runId } of started) {
      expect(byId.get(runId)?.status).toBe('failed');
      expect(byId.get(runId)?.error_message).toContain('server stopped');
    }
  }, 240_000);

  it('one org flooding webhooks does not push another org’s p99 past twice its unloaded value', async () => {
    const flooder = await t.createOrg();
    const quiet = await t.createOrg();
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = coalesce(settings, '{}'::jsonb) || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [flooder.id],
    );
    // The flooding org may start 120 runs a minute (10 in any 5 s) and run 8 at once; it sends 100 a second.
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${flooder.id}`)
      .set({ Authorization: `Bearer ${t.platformKey}` })
      .send({ settings: { limits: { maxConcurrent: 8, maxRunsPerMinute: 120 } } })
      .expect(200);
    const slow = {
      id: 'slow',
      type: 'http.request',
      params: { method: 'POST', url: counter.url.replace('/count', '/slow'), body: { id: '{{ trigger.body.id }}' } },
    };
    const floodFlow = await publishedFlow(t, flooder.ownerKey, hookFlow([slow], { respond: 'accepted' }));
    const quietFlow = await publishedFlow(
      t,
      quiet.ownerKey,
      hookFlow([{ id: 'answer', type: 'respond', params: { status: 200, body: { ok: true } } }]),
    );
    // The flood comes from a process of its own (test/utils/flood.mjs): 100 webhooks a second while on, 50 times the
    // org's allowance, whatever the answers.
    const flooder$ = fork(fileURLToPath(new URL('../utils/flood.mjs', import.meta.url)), [
      apis[0].url,
      apis[1].url,
      floodFlow,
    ]);
    const quietRequests = async (label: string, n: number, into: number[]) => {
      for (let i = 0; i < n; i++) {
        const began = performance.now();
        const res = await hook(apis[i % 2].url, quietFlow, `${label}-${i}`);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        into.push(performance.now() - began);
      }
    };
    await quietRequests('warm', 60, []);
    // Unloaded and flooded phases alternate, so whatever else the machine does falls on both alike.
    const unloadedTimes: number[] = [];
    const loadedTimes: number[] = [];
    for (let round = 0; round < 10; round++) {
      await quietRequests(`quiet-${round}`, 48, unloadedTimes);
      flooder$.send('on');
      await sleep(300);
      await quietRequests(`loaded-${round}`, 48, loadedTimes);
      flooder$.send('off');
      await sleep(300);
    }
    const answered = once(flooder$, 'message');
    flooder$.send('stop');
    const statuses = new Map(
      Object.entries((await answered)[0] as Record<string, number>).map(([k, v]) => [Number(k), v]),
    );
    const p99 = (times: number[]) => [...times].sort((x, y) => x - y)[Math.ceil(times.length * 0.99) - 1];
    const p50 = (times: number[]) => [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)];
    const unloaded = p99(unloadedTimes);
    const loaded = p99(loadedTimes);
    console.log(
      `quiet org: unloaded p50 ${p50(unloadedTimes).toFixed(1)} ms p99 ${unloaded.toFixed(1)} ms; while another org floods p50 ${p50(loadedTimes).toFixed(1)} ms p99 ${loaded.toFixed(1)} ms; flood answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    // The flood was real: the org's allowance was taken and far more refused.
    expect(statuses.get(202) ?? 0).toBeGreaterThanOrEqual(10);
    expect(statuses.get(429) ?? 0).toBeGreaterThan(500);
    expect(loaded).toBeLessThanOrEqual(2 * unloaded);
    // Its backlog drains afterwards (cleared here so the next tests start from an idle queue).
    await settled([floodFlow], 180_000);
  }, 300_000);

  /** Sends not-waiting webhooks for `ms`, alternating api processes; every answer is 202 or a fast 503. */
  async function underLoad(label: string, ms: number, fault: () => Promise<void>) {
    const answers: { id: string; status: number; ms: number; runId?: string }[] = [];
    let stop = false;
    let seq = 0;
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) {
          const id = `${label}-${seq++}`;
          const began = Date.now();
          const res = await hook(apis[seq % 2].url, acceptedFlow, id).catch(() => null);
          const body = res ? ((await res.json().catch(() => ({}))) as { runId?: string }) : {};
          answers.push({ id, status: res?.status ?? 0, ms: Date.now() - began, runId: body.runId });
          if (!res || res.status !== 202) await sleep(50);
        }
      }),
    );
    await sleep(1500);
    await fault();
    await sleep(ms);
    stop = true;
    await load;
    return answers;
  }

  it('restarting Redis under load: requests fail fast with 503 while it is down, recover, and no accepted run is lost', async () => {
    const answers = await underLoad('r', 3000, async () => {
      await redis.stop();
      await sleep(2000);
      await redis.start();
    });
    expect(answers.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
    expect(answers.some((a) => a.status === 503)).toBe(true);
    expect(answers.filter((a) => a.status === 503 && a.ms > 3000)).toEqual([]);
    // Recovered without a restart: the last answers are 202 again.
    expect(answers.slice(-6).every((a) => a.status === 202)).toBe(true);
    await settled([acceptedFlow], 90_000);
    const byId = new Map((await runsOf(acceptedFlow)).map((r) => [r.id, r]));
    for (const a of answers.filter((x) => x.status === 202)) {
      expect(byId.get(a.runId!)?.status).toBe('succeeded');
      expect(counter.seen.get(a.id)).toBe(1);
    }
  }, 240_000);

  it('restarting PostgreSQL under load: requests fail fast with 503 while it is down, recover, and no accepted run is lost', async () => {
    const answers = await underLoad('p', 4000, async () => {
      await pg.stop();
      await sleep(2000);
      pg = await startEmbeddedPostgres(dir, log, { port: pgPort });
    });
    expect(answers.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
    expect(answers.some((a) => a.status === 503)).toBe(true);
    expect(answers.filter((a) => a.status === 503 && a.ms > 3000)).toEqual([]);
    expect(answers.slice(-6).every((a) => a.status === 202)).toBe(true);
    await settled([acceptedFlow], 120_000);
    const byId = new Map((await runsOf(acceptedFlow)).map((r) => [r.id, r]));
    for (const a of answers.filter((x) => x.status === 202)) {
      expect(byId.get(a.runId!)?.status).toBe('succeeded');
      expect(counter.seen.get(a.id)).toBe(1);
    }
  }, 240_000);
});
