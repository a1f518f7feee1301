#!/usr/bin/env node
// Probes a scaled-out Tenantflow (the top-level docker-compose.yml, or any set of `api` and `worker` processes):
// every process answers /health/ready, workers refuse the API, api processes serve it; with an owner API key it
// also creates a project with two webhook flows, sends waiting and not-waiting webhooks through every api process,
// checks the answers and that every run ends `succeeded`, then deletes the project. Plain Node (18 or later), no
// dependencies. One line per check; exit code 0 when all pass, 1 otherwise.
//
//   docker compose up -d --build && node scripts/compose-probe.mjs
//   TENANTFLOW_OWNER_KEY=tfk_… node scripts/compose-probe.mjs
import { parseArgs } from 'node:util';

const DEFAULT_API = 'http://127.0.0.1:3001,http://127.0.0.1:3002';
const DEFAULT_WORKER = 'http://127.0.0.1:3011,http://127.0.0.1:3012';

const USAGE = `Usage: node scripts/compose-probe.mjs [options]
  --api URL[,URL]      api processes (env PROBE_API_URLS; default ${DEFAULT_API})
  --worker URL[,URL]   worker processes (env PROBE_WORKER_URLS; default ${DEFAULT_WORKER})
  --runs N             waiting and not-waiting webhooks sent through each api process (env PROBE_RUNS; default 3;
                       at most 200 per flow in all)
  --timeout MS         how long to wait for every process to be ready (env PROBE_READY_TIMEOUT; default 180000)
  --keep               keep the probe's project (default: deleted at the end)
Env TENANTFLOW_OWNER_KEY: an owner (or admin) API key of an org; without it the webhook checks are skipped.
The first start prints the default org's owner key once: docker compose logs api-1`;

const { values: args } = parseArgs({
  options: {
    api: { type: 'string' },
    worker: { type: 'string' },
    runs: { type: 'string' },
    timeout: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const env = process.env;
const urls = (s) =>
  s
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter(Boolean);
const apis = urls(args.api ?? env.PROBE_API_URLS ?? DEFAULT_API);
const workers = urls(args.worker ?? env.PROBE_WORKER_URLS ?? DEFAULT_WORKER);
const runsPerApi = Number(args.runs ?? env.PROBE_RUNS ?? 3);
const readyTimeoutMs = Number(args.timeout ?? env.PROBE_READY_TIMEOUT ?? 180_000);
const ownerKey = env.TENANTFLOW_OWNER_KEY?.trim();
// Each flow's runs are read in one page of at most 200.
const runsOk = Number.isInteger(runsPerApi) && runsPerApi >= 1 && runsPerApi * apis.length <= 200;
if (!apis.length || !runsOk || !(readyTimeoutMs >= 0)) {
  console.error(USAGE);
  process.exit(2);
}

let passed = 0;
let failed = 0;
const ok = (name) => (passed++, console.log(`ok   ${name}`));
const fail = (name, why) => (failed++, console.log(`FAIL ${name}: ${why}`));
const skip = (name, why) => console.log(`skip ${name}: ${why}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP call; never throws (a network error is status 0). */
async function call(base, method, path, { key, body, headers = {} } = {}) {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  } catch (e) {
    return {
      status: 0,
      headers: { get: () => null },
      body: undefined,
      text: e instanceof Error ? e.message : String(e),
    };
  }
}

const brief = (r) => `${r.status || 'no answer:'} ${(r.body?.title ?? r.body?.message ?? r.text ?? '').slice(0, 160)}`;

/** Waits until every process answers /health/ready with 200 (all within one deadline). */
async function checkReady() {
  const until = Date.now() + readyTimeoutMs;
  await Promise.all(
    [...apis.map((u) => ['api', u]), ...workers.map((u) => ['worker', u])].map(async ([role, base]) => {
      for (;;) {
        const r = await call(base, 'GET', '/health/ready');
        if (r.status === 200) return ok(`${role} ${base} is ready`);
        if (Date.now() >= until) return fail(`${role} ${base} is ready`, `/health/ready answered ${brief(r)}`);
        await sleep(1000);
      }
    }),
  );
}

async function checkRoles() {
  for (const base of workers) {
    const r = await call(base, 'GET', '/api/v1/org');
    if (r.status === 404 && (r.headers.get('content-type') ?? '').includes('problem+json'))
      ok(`worker ${base} refuses /api/v1/org (404)`);
    else fail(`worker ${base} refuses /api/v1/org (404)`, `answered ${brief(r)}`);
  }
  for (const base of apis) {
    const r = await call(base, 'GET', '/api/v1/org');
    if (r.status === 401) ok(`api ${base} serves /api/v1/org (401 without a key)`);
    else fail(`api ${base} serves /api/v1/org (401 without a key)`, `answered ${brief(r)}`);
  }
}

/** transform + code: the output names the sum of the request's numbers twice over, so each answer is its own. */
const definition = (respond) => ({
  schemaVersion: 1,
  trigger: { type: 'webhook', settings: { auth: { mode: 'none' }, respond } },
  nodes: [
    { id: 'sum', type: 'transform', params: { fields: { total: '{{ trigger.body.a + trigger.body.b }}' } } },
    { id: 'double', type: 'code', params: { code: 'return { doubled: input.total * 2 };' } },
  ],
  edges: [
    { from: 'trigger', to: 'sum' },
    { from: 'sum', to: 'double' },
  ],
});

class StepError extends Error {}
const expectStatus = (r, status, what) => {
  if (r.status !== status) throw new StepError(`${what}: expected ${status}, got ${brief(r)}`);
  return r.body;
};

/** Creates the probe's project and its two flows (published and enabled) through the first api process. */
async function setUp(base) {
  const key = ownerKey;
  const tag = `compose-probe-${Date.now().toString(36)}`;
  const project = expectStatus(
    await call(base, 'POST', '/api/v1/projects', { key, body: { name: tag } }),
    201,
    'create project',
  );
  const flows = {};
  for (const respond of ['wait', 'accepted']) {
    const flow = expectStatus(
      await call(base, 'POST', `/api/v1/projects/${project.id}/flows`, { key, body: { name: `${tag}-${respond}` } }),
      201,
      `create ${respond} flow`,
    );
    const draft = await call(base, 'GET', `/api/v1/flows/${flow.id}/draft`, { key });
    expectStatus(draft, 200, 'read draft');
    const saved = await call(base, 'PUT', `/api/v1/flows/${flow.id}/draft`, {
      key,
      headers: { 'if-match': draft.headers.get('etag') ?? '' },
      body: { definition: definition(respond) },
    });
    expectStatus(saved, 200, 'save draft');
    expectStatus(await call(base, 'POST', `/api/v1/flows/${flow.id}/publish`, { key, body: {} }), 201, 'publish');
    expectStatus(await call(base, 'POST', `/api/v1/flows/${flow.id}/enable`, { key }), 200, 'enable');
    flows[respond] = flow.id;
  }
  return { projectId: project.id, flows };
}

/** Sends the webhooks through one api process; returns the run ids it was given. */
async function sendWebhooks(base, flows, offset) {
  const runIds = [];
  const waited = await Promise.all(
    Array.from({ length: runsPerApi }, (_, i) =>
      call(base, 'POST', `/hooks/${flows.wait}`, { body: { a: offset + i, b: 1000 } }),
    ),
  );
  const wrong = waited
    .map((r, i) => ({ r, want: (offset + i + 1000) * 2 }))
    .filter(({ r, want }) => r.status !== 200 || r.body?.status !== 'succeeded' || r.body?.output?.doubled !== want);
  if (wrong.length)
    fail(`api ${base}: ${runsPerApi} waiting webhooks answered 200 with their own run's output`, brief(wrong[0].r));
  else ok(`api ${base}: ${runsPerApi} waiting webhooks answered 200 with their own run's output`);
  runIds.push(...waited.map((r) => r.body?.runId).filter(Boolean));

  const accepted = await Promise.all(
    Array.from({ length: runsPerApi }, (_, i) =>
      call(base, 'POST', `/hooks/${flows.accepted}`, { body: { a: offset + i, b: 2000 } }),
    ),
  );
  const refused = accepted.filter((r) => r.status !== 202 || typeof r.body?.runId !== 'string');
  if (refused.length) fail(`api ${base}: ${runsPerApi} not-waiting webhooks answered 202 {runId}`, brief(refused[0]));
  else ok(`api ${base}: ${runsPerApi} not-waiting webhooks answered 202 {runId}`);
  runIds.push(...accepted.map((r) => r.body?.runId).filter(Boolean));
  return runIds;
}

/**
 * Polls the two flows' run lists (through the api processes in turn) until none of the runs is queued or running:
 * two requests a round whatever the number of runs, far below the API rate limit.
 */
async function checkRunsSucceeded(flows, runIds, expected) {
  const name = `all ${expected} runs ended succeeded`;
  const until = Date.now() + 120_000;
  const status = new Map(runIds.map((id) => [id, 'not listed']));
  let turn = 0;
  for (;;) {
    for (const flowId of Object.values(flows)) {
      const base = apis[turn++ % apis.length];
      const r = await call(base, 'GET', `/api/v1/flows/${flowId}/runs?limit=200`, { key: ownerKey });
      for (const run of r.status === 200 ? (r.body?.items ?? []) : []) {
        if (status.has(run.id)) status.set(run.id, run.status);
      }
    }
    const open = [...status.values()].some((s) => s === 'not listed' || s === 'queued' || s === 'running');
    if (!open || Date.now() >= until) break;
    await sleep(500);
  }
  const byStatus = {};
  for (const s of status.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
  if (runIds.length === expected && byStatus.succeeded === expected) ok(name);
  else fail(name, `${runIds.length} run ids, by status ${JSON.stringify(byStatus)}`);
}

async function checkRuns() {
  if (!ownerKey) {
    skip('webhook runs', 'set TENANTFLOW_OWNER_KEY to an owner API key (docker compose logs api-1) to send webhooks');
    return;
  }
  const org = await call(apis[0], 'GET', '/api/v1/org', { key: ownerKey });
  if (org.status !== 200) return fail('the owner key is accepted (GET /api/v1/org)', brief(org));
  ok(`the owner key is accepted (org "${org.body?.slug ?? '?'}")`);
  let setup;
  try {
    setup = await setUp(apis[0]);
    ok('a project with a waiting and a not-waiting webhook flow, published and enabled');
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
    return fail('a project with a waiting and a not-waiting webhook flow, published and enabled', e.message);
  }
  try {
    const runIds = [];
    for (const [i, base] of apis.entries()) runIds.push(...(await sendWebhooks(base, setup.flows, i * 100)));
    await checkRunsSucceeded(setup.flows, runIds, 2 * runsPerApi * apis.length);
  } finally {
    if (args.keep) skip('clean-up', `--keep: project ${setup.projectId} kept`);
    else {
      const r = await call(apis[0], 'DELETE', `/api/v1/projects/${setup.projectId}`, { key: ownerKey });
      if (r.status === 204) ok('the probe project is deleted');
      else fail('the probe project is deleted', brief(r));
    }
  }
}

await checkReady();
if (failed === 0) {
  await checkRoles();
  await checkRuns();
}
console.log(`probe: ${failed ? `${failed} of ${passed + failed} checks failed` : `all ${passed} checks passed`}`);
process.exit(failed ? 1 : 0);
