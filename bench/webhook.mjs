// Webhook data-plane benchmark (issue 7): a published flow `webhook → transform (expression) → code → respond`,
// waited on synchronously, against a bare Node `http` server doing the same work, at 10 and 50 connections; then
// expression evaluations per second and code-node latency (cold and warm) through the engine, next to the same
// JavaScript run natively. Uses the BUILT app: `npm run build && node --no-node-snapshot bench/webhook.mjs`.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { DURATION, forkServer, publishDefinition, ratio, restartTenantflow, rssMb, startTenantflow } from './lib.mjs';

const FLOW = {
  schemaVersion: 1,
  trigger: { type: 'webhook', settings: { auth: { mode: 'none' }, respond: 'wait' } },
  nodes: [
    { id: 'sum', type: 'transform', params: { fields: { total: '{{ trigger.body.a + trigger.body.b }}' } } },
    { id: 'double', type: 'code', params: { code: 'return { doubled: input.total * 2 };' } },
    { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.double.output }}' } },
  ],
  edges: [
    { from: 'trigger', to: 'sum' },
    { from: 'sum', to: 'double' },
    { from: 'double', to: 'reply' },
  ],
};
const BODY = JSON.stringify({ a: 2, b: 3 });
// The same path with no sandbox call (a plain path is read on the host): what the data plane costs by itself.
const FLOW_NO_SANDBOX = {
  schemaVersion: 1,
  trigger: FLOW.trigger,
  nodes: [{ id: 'reply', type: 'respond', params: { status: 200, body: { doubled: '{{ trigger.body.a }}' } } }],
  edges: [{ from: 'trigger', to: 'reply' }],
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
  const ok = r.non2xx === 0 && r.errors === 0 && r.timeouts === 0;
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    ok,
  };
}

async function publishFlow(tf, definition, expected) {
  const flow = { id: await publishDefinition(tf, definition, 'webhook bench') };
  const check = await fetch(`${tf.url}/hooks/${flow.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  const answer = await check.json();
  if (answer.doubled !== expected) throw new Error(`the webhook answered ${check.status} ${JSON.stringify(answer)}`);
  return flow.id;
}

/**
 * V8 flags for a memory-tight host (README "Deploying"): a 16 MiB young-generation semi-space (V8 sizes it from the
 * heap limit: 64 MiB on this machine) and an old generation let grow to 1.5x its live size before the next full
 * collection (V8 lets it grow up to 4x).
 */
export const MEMORY_TIGHT_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

/** The sandboxed flow at 50 connections on a server started with {@link MEMORY_TIGHT_FLAGS}: speed and peak memory. */
async function memoryTightRun(databaseUrl, bare) {
  const tf = await startTenantflow(databaseUrl ? { DATABASE_URL: databaseUrl } : {}, { nodeFlags: MEMORY_TIGHT_FLAGS });
  try {
    const flowId = await publishFlow(tf, FLOW, 10);
    const plainId = await publishFlow(tf, FLOW_NO_SANDBOX, 2);
    // The same sequence as the default server's, so the heap has seen the same kinds of load.
    await post(`${tf.url}/hooks/${plainId}`, 10);
    const memory = { apiMb: 0, sandboxHostsMb: 0 };
    const sampler = setInterval(() => {
      memory.apiMb = Math.max(memory.apiMb, rssMb(tf.pid) ?? 0);
      memory.sandboxHostsMb = Math.max(memory.sandboxHostsMb, rssMb(tf.pid, 'sandbox-host') ?? 0);
    }, 250);
    const hook = await post(`${tf.url}/hooks/${flowId}`, 50).finally(() => clearInterval(sampler));
    const plain = await post(`${tf.url}/hooks/${plainId}`, 50);
    return {
      flags: MEMORY_TIGHT_FLAGS.join(' '),
      webhook: hook,
      ratio: ratio(hook.rps, bare.rps),
      webhookWithoutSandbox: plain,
      ratioWithoutSandbox: ratio(plain.rps, bare.rps),
      peakMemoryUnderLoad: memory,
    };
  } finally {
    await tf.stop();
  }
}

/** (a) Throughput and latency of the webhook path vs the bare baseline, at 10 and 50 connections. */
async function webhookThroughput(databaseUrl) {
  const base = await forkServer('bench/baseline-webhook.mjs');
  const tf = await startTenantflow(databaseUrl ? { DATABASE_URL: databaseUrl } : {});
  try {
    const flowId = await publishFlow(tf, FLOW, 10);
    const plainId = await publishFlow(tf, FLOW_NO_SANDBOX, 2);
    const out = {};
    const memory = { apiMb: 0, sandboxHostsMb: 0 };
    for (const connections of [10, 50]) {
      const bare = await post(`http://127.0.0.1:${base.port}/`, connections);
      // Peak resident memory of the server and its sandbox host processes while the sandboxed flow is under load.
      const sampler = setInterval(() => {
        memory.apiMb = Math.max(memory.apiMb, rssMb(tf.pid) ?? 0);
        memory.sandboxHostsMb = Math.max(memory.sandboxHostsMb, rssMb(tf.pid, 'sandbox-host') ?? 0);
      }, 250);
      const hook = await post(`${tf.url}/hooks/${flowId}`, connections).finally(() => clearInterval(sampler));
      const plain = await post(`${tf.url}/hooks/${plainId}`, connections);
      out[`${connections} connections`] = {
        bare,
        webhook: hook,
        ratio: ratio(hook.rps, bare.rps),
        webhookWithoutSandbox: plain,
        ratioWithoutSandbox: ratio(plain.rps, bare.rps),
      };
    }
    out.peakMemoryUnderLoad = memory;
    out.memoryTight = await memoryTightRun(databaseUrl, out['50 connections'].bare);
    // A restart on the existing data: from spawning the process to the first correct webhook answer.
    await tf.stop({ keepData: true });
    const again = await restartTenantflow(tf, async (url) => {
      const res = await fetch(`${url}/hooks/${flowId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
      });
      return res.ok && (await res.json()).doubled === 10;
    });
    await again.stop();
    out.restartToFirstWebhookAnswerMs = again.ms;
    return out;
  } finally {
    await tf.stop();
    await base.stop();
  }
}

async function rate(fn, seconds, lanes) {
  const until = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < until) n += await fn(lane);
    }),
  );
  return Math.round(n / seconds);
}

function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p) => Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
  return { p50: at(50), p99: at(99) };
}

/** (b) expressions per second and (c) code-node latency, through the engine (FlowEngine + the sandbox pool). */
async function engineFigures() {
  const dist = (p) => pathToFileURL(new URL(`../dist/src/modules/${p}`, import.meta.url).pathname).href;
  const { FlowEngine, SandboxPoolAdapter } = await import(dist('execution/index.js'));
  const { SandboxPool } = await import(dist('sandbox/index.js'));
  const { DEFAULT_RUN_LIMITS } = await import(dist('execution/engine/run-types.js'));
  const sandbox = new SandboxPoolAdapter(new SandboxPool({ maxIsolatesPerOrg: 4 }));
  const engine = new FlowEngine({ sandbox });
  // Arithmetic on the payload is decided on the host (host-expression.ts); a method call needs the sandbox.
  const fields = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`f${i}`, `{{ trigger.body.a * ${i} + trigger.body.b }}`]),
  );
  const sandboxFields = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`f${i}`, `{{ Math.max(trigger.body.a * ${i}, trigger.body.b) }}`]),
  );
  const def = (nodes) => ({
    schemaVersion: 1,
    trigger: { type: 'manual' },
    nodes,
    edges: nodes.map((n, i) => ({ from: i ? nodes[i - 1].id : 'trigger', to: n.id })),
  });
  const exprFlow = def([{ id: 't', type: 'transform', params: { fields } }]);
  const sandboxExprFlow = def([{ id: 't', type: 'transform', params: { fields: sandboxFields } }]);
  const codeFlow = def([
    { id: 'c', type: 'code', params: { code: 'return { doubled: (input.body.a + input.body.b) * 2 };' } },
  ]);
  const run = (definition, orgId) =>
    engine.execute({
      runId: 'bench',
      orgId,
      flowId: 'bench',
      version: 1,
      definition,
      limits: DEFAULT_RUN_LIMITS,
      trigger: { type: 'webhook', body: { a: 2, b: 3 }, headers: {}, query: {}, method: 'POST' },
    });
  try {
    for (let i = 0; i < 20; i++) await run(exprFlow, '00000000-0000-7000-8000-00000000000a');
    const expressionsPerSecond = await rate(
      async (lane) =>
        (await run(exprFlow, `00000000-0000-7000-8000-00000000000${lane}`)).status === 'succeeded' ? 10 : 0,
      DURATION,
      4,
    );
    const sandboxExpressionsPerSecond = await rate(
      async (lane) =>
        (await run(sandboxExprFlow, `00000000-0000-7000-8000-00000000000${lane}`)).status === 'succeeded' ? 10 : 0,
      DURATION,
      4,
    );
    const cold = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await run(codeFlow, `00000000-0000-7000-8001-${String(i).padStart(12, '0')}`);
      cold.push(performance.now() - t0);
    }
    const warm = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await run(codeFlow, '00000000-0000-7000-8000-00000000000a');
      warm.push(performance.now() - t0);
    }
    const native = nativeFigures(fields);
    return {
      expressionsPerSecond,
      sandboxExpressionsPerSecond,
      nativeExpressionsPerSecond: native.expressionsPerSecond,
      codeNodeColdMs: percentiles(cold),
      codeNodeWarmMs: percentiles(warm),
      nativeCodeMs: native.codeMs,
    };
  } finally {
    await sandbox.close();
  }
}

/** The same work as plain JavaScript in this process (what the sandbox costs on top). */
function nativeFigures(fields) {
  const fns = Object.values(fields).map((tpl) => new Function('trigger', `return (${tpl.slice(2, -2)});`));
  const trigger = { body: { a: 2, b: 3 } };
  let n = 0;
  const until = performance.now() + 1000;
  while (performance.now() < until)
    for (const fn of fns) {
      fn(trigger);
      n++;
    }
  const code = new Function('input', 'return { doubled: (input.body.a + input.body.b) * 2 };');
  const t0 = performance.now();
  for (let i = 0; i < 10000; i++) code(trigger);
  return { expressionsPerSecond: n, codeMs: Math.round(((performance.now() - t0) / 10000) * 1e6) / 1e6 };
}

/** `npm run bench` section: returns (and prints) the webhook figures. */
/**
 * The ceiling set by the sandbox design: every run gets a fresh context (issue 7), so no run can be cheaper than
 * creating one (bootstrap included), released at once. Measured as contexts per CPU-second of this process
 * (isolate threads included); with every core of the machine doing nothing else, runs/s cannot exceed
 * cores x that.
 */
async function freshContextCeiling(bareRps) {
  const { IsolateEntry } = await import(new URL('../dist/src/modules/sandbox/host/isolate-entry.js', import.meta.url));
  const entry = new IsolateEntry('bench', 64, () => undefined);
  try {
    for (let i = 0; i < 50; i++) release(await entry.takeContext(1000));
    const cpu0 = process.cpuUsage();
    const until = performance.now() + 2000;
    let n = 0;
    for (; performance.now() < until; n++) release(await entry.takeContext(1000));
    const { user, system } = process.cpuUsage(cpu0);
    const perCpuSecond = Math.round(n / ((user + system) / 1e6));
    const cores = availableParallelism();
    return {
      freshContextsPerCpuSecond: perCpuSecond,
      cores,
      ceilingRps: perCpuSecond * cores,
      ceilingRatio: ratio(perCpuSecond * cores, bareRps),
    };
  } finally {
    entry.dispose();
  }
}

function release(prepared) {
  prepared.runner.release();
  prepared.context?.release(); // since issue 14 a prepared run is a compartment in the isolate's one context
}

const memorySum = (m) => `${m.apiMb} + ${m.sandboxHostsMb} = ${m.apiMb + m.sandboxHostsMb} MB`;

export async function benchWebhook({ databaseUrl } = {}) {
  const webhook = await webhookThroughput(databaseUrl);
  const engine = await engineFigures();
  const at50 = webhook['50 connections'];
  const ceiling = await freshContextCeiling(at50.bare.rps);
  return {
    webhook,
    engine,
    freshContextCeiling: ceiling,
    targets: {
      'code-node flow req/s ≥ 6% of bare at 50 connections': `${at50.ratio} → ${at50.webhook.rps / at50.bare.rps >= 0.06 ? 'met' : 'NOT met'}`,
      'flow without a code node ≥ 25% of bare at 50 connections': `${at50.ratioWithoutSandbox} → ${at50.webhookWithoutSandbox.rps / at50.bare.rps >= 0.25 ? 'met' : 'NOT met'}`,
      'code-node flow p99 < 50 ms at 50 connections': `${at50.webhook.p99} ms → ${at50.webhook.p99 < 50 ? 'met' : 'NOT met'} (bare: ${at50.bare.p99} ms)`,
      'aim: ready (restart to first webhook answer) < 3 s': `${webhook.restartToFirstWebhookAnswerMs} ms`,
      'aim: memory < 400 MB (API + sandbox hosts, peak under load)': `${memorySum(webhook.peakMemoryUnderLoad)}; with ${webhook.memoryTight.flags}: ${memorySum(webhook.memoryTight.peakMemoryUnderLoad)} at ${webhook.memoryTight.ratio} of bare (code) and ${webhook.memoryTight.ratioWithoutSandbox} (without)`,
      'ceiling of any fresh-context-per-run design on this machine (creating the contexts alone, every core)':
        ceiling.ceilingRatio,
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchWebhook({ databaseUrl: process.env.DATABASE_URL }), null, 2));
}
