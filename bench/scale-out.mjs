// Scale-out benchmark (issue 18): webhook throughput of one `api` plus one `worker` process (runs through the BullMQ
// queue in Redis) against one `all` process (runs in process), on the same PostgreSQL database and Redis, same flows,
// same machine, measured one after the other in this run. Needs PostgreSQL (BENCH_DATABASE_URL, default the local
// server) and Redis (REDIS_URL, default the local server). Alone: `npm run build && node --no-node-snapshot bench/scale-out.mjs`.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import autocannon from 'autocannon';
import { DURATION, publishDefinition, ratio, rssMb, startTenantflow } from './lib.mjs';

const BODY = JSON.stringify({ a: 2, b: 3 });
const flow = (respond, withCode) => ({
  schemaVersion: 1,
  trigger: { type: 'webhook', settings: { auth: { mode: 'none' }, respond } },
  nodes: [
    { id: 'sum', type: 'transform', params: { fields: { total: '{{ trigger.body.a + trigger.body.b }}' } } },
    ...(withCode ? [{ id: 'double', type: 'code', params: { code: 'return { doubled: input.total * 2 };' } }] : []),
    ...(respond === 'wait'
      ? [{ id: 'reply', type: 'respond', params: { status: 200, body: { total: '{{ nodes.sum.output.total }}' } } }]
      : []),
  ],
  edges: [
    { from: 'trigger', to: 'sum' },
    ...(withCode ? [{ from: 'sum', to: 'double' }] : []),
    ...(respond === 'wait' ? [{ from: withCode ? 'double' : 'sum', to: 'reply' }] : []),
  ],
});
const FLOWS = {
  'waiting, transform → respond': flow('wait', false),
  'waiting, transform → code → respond': flow('wait', true),
  'not waiting (202), transform → code': flow('accepted', true),
};

async function post(url, connections) {
  const r = await autocannon({
    url,
    method: 'POST',
    body: BODY,
    headers: { 'content-type': 'application/json' },
    duration: DURATION,
    connections,
  });
  // Only 2xx answers count: a 429 (an org at its concurrency limit in `all` mode) is not throughput.
  return {
    rps: Math.round(r['2xx'] / DURATION),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Waits until no run of the database is queued or running (a not-waiting load leaves a backlog to drain). */
async function drained(db) {
  for (;;) {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM run WHERE status IN ('queued', 'running')`);
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function benchScaleOut() {
  const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const name = `tf_bench_scale_${Date.now().toString(36)}`;
  const server = new pg.Client({ connectionString: admin });
  try {
    await server.connect();
  } catch (e) {
    return { skipped: `no PostgreSQL at BENCH_DATABASE_URL (${e.message})` };
  }
  await server.query(`CREATE DATABASE ${name}`);
  const databaseUrl = admin.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  const db = new pg.Client({ connectionString: databaseUrl });
  // Every process of one installation shares the master key (a worker opens what an api process sealed).
  const shared = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    TENANTFLOW_REDIS_KEY_PREFIX: `${name}:`,
    TENANTFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  const results = {};
  let all;
  const procs = [];
  try {
    // One `all` process: creates the org, the keys and the flows; then its throughput.
    all = await startTenantflow({ ...shared, TENANTFLOW_MODE: 'all' });
    await db.connect();
    const ids = {};
    for (const [label, def] of Object.entries(FLOWS)) ids[label] = await publishDefinition(all, def, 'scale bench');
    for (const [label, id] of Object.entries(ids)) {
      await post(`${all.url}/hooks/${id}`, 10); // warm-up
      results[label] = { all: await post(`${all.url}/hooks/${id}`, 50) };
      await drained(db);
    }
    results.peakRssMb = { all: rssMb(all.pid) + (rssMb(all.pid, 'sandbox') ?? 0) };
    await all.stop();
    all = undefined;
    // One `api` and one `worker` process on the same database and Redis.
    const worker = await startTenantflow({ ...shared, TENANTFLOW_MODE: 'worker' }, { firstStart: false });
    procs.push(worker);
    const apiProc = await startTenantflow({ ...shared, TENANTFLOW_MODE: 'api' }, { firstStart: false });
    procs.push(apiProc);
    for (const [label, id] of Object.entries(ids)) {
      await post(`${apiProc.url}/hooks/${id}`, 10); // warm-up
      const r = await post(`${apiProc.url}/hooks/${id}`, 50);
      await drained(db);
      results[label].apiPlusWorker = r;
      results[label]['apiPlusWorker / all'] = ratio(r.rps, results[label].all.rps);
    }
    results.peakRssMb.apiPlusWorker = rssMb(apiProc.pid) + rssMb(worker.pid) + (rssMb(worker.pid, 'sandbox') ?? 0);
  } finally {
    await all?.stop();
    for (const p of procs) await p.stop();
    await db.end().catch(() => undefined);
    await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await server.end();
  }
  results.note =
    'Same 2-core machine, same database and Redis, one after the other. `not waiting` counts 202 answers (the run is queued or running when answered); the backlog is drained before the next measurement.';
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await benchScaleOut(), null, 2));
