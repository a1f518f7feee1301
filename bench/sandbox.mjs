// Sandbox benchmark: expression throughput and code-node latency (cold isolate vs warm isolate), each next to
// the same JavaScript run natively in this process, so the figures read as ratios. Uses the BUILT module:
// `npm run build && node --no-node-snapshot bench/sandbox.mjs`, or as a section of `npm run bench`.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const EXPRESSION_SECONDS = Number(process.env.BENCH_SANDBOX_SECONDS ?? 2);
const WARM_RUNS = 300;
const COLD_RUNS = 60;
const CONCURRENCY = 4;

// A transform node's parameters: 10 expressions, rendered the way a run renders them (the engine's renderValue:
// the host decides what it can, the rest goes to the sandbox in one call per tree).
const TREE = {
  url: 'https://api.example.com/users/{{ trigger.body.userId }}',
  headers: { 'x-request-id': '{{ trigger.headers["x-id"] }}' },
  body: {
    total: '{{ trigger.body.a + trigger.body.b }}',
    name: '{{ trigger.body.name.toUpperCase() }}',
    lines: '{{ nodes.fetch.output.items.map((i) => i.price * i.qty) }}',
    count: '{{ nodes.fetch.output.items.length }}',
    label: 'Order {{ trigger.body.orderId }} for {{ trigger.body.name }}',
    vip: '{{ nodes.fetch.output.items.some((i) => i.price > 100) }}',
    sum: '{{ nodes.fetch.output.items.reduce((s, i) => s + i.price * i.qty, 0) }}',
  },
};
const EXPRESSIONS = [...JSON.stringify(TREE).matchAll(/\{\{(.*?)\}\}/g)].map((m) => JSON.parse(`"${m[1]}"`));

const CODE = `const items = input.items.map((item) => ({ ...item, total: item.price * item.qty }));
const sum = items.reduce((s, item) => s + item.total, 0);
return { items, sum, customer: trigger.body.name };`;

const items = Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i}`, price: 10 + i * 7, qty: 1 + (i % 3) }));
const CONTEXT = {
  trigger: { body: { userId: 7, a: 2, b: 3, name: 'Ada', orderId: 'A-1' }, headers: { 'x-id': 'req-1' } },
  nodes: { fetch: { output: { items } } },
  input: { items },
};

/** Runs the whole sandbox benchmark in one go and returns sandbox figures, native figures and ratios. */
export async function benchSandbox() {
  const built = (p) => new URL(`../dist/src/modules/${p}`, import.meta.url);
  const { SandboxPool } = await import(built('sandbox/index.js'));
  const { SandboxPoolAdapter } = await import(built('execution/index.js'));
  const { renderValue } = await import(built('execution/engine/params.js'));
  const pool = new SandboxPool();
  const adapter = new SandboxPoolAdapter(pool);
  const env = (orgId) => ({
    orgId,
    sandbox: adapter,
    limits: { timeoutMs: 5000, memoryMb: 64 },
    secrets: { resolve: refuseSecret },
  });
  const renderTemplate = (_pool, orgId, tree, scope) => renderValue(tree, scope, env(orgId)).then(ok, failed);
  try {
    await warmUp(pool, renderTemplate);
    const sequential = await expressionRate(() => renderTemplate(pool, 'org-expr', TREE, CONTEXT), 1);
    const renderIn = (lane) => renderTemplate(pool, `org-expr-${lane}`, TREE, CONTEXT);
    const concurrent = await expressionRate(renderIn, CONCURRENCY);
    const sandbox = {
      expressionsPerSecond: sequential.perSecond,
      expressionsPerSecondConcurrent: concurrent.perSecond,
      expressionsPerRender: EXPRESSIONS.length,
      apiProcessCpuMsPerRender: sequential.apiCpuMsPerRender,
      codeColdMs: await latencies(COLD_RUNS, (i) => pool.runCode({ orgId: `org-cold-${i}`, code: CODE, ...CONTEXT })),
      codeWarmMs: await latencies(WARM_RUNS, () => pool.runCode({ orgId: 'org-warm', code: CODE, ...CONTEXT })),
    };
    const native = await nativeBaseline();
    return { ...sandbox, native, ratios: ratios(sandbox, native) };
  } finally {
    await pool.close();
  }
}

async function warmUp(pool, renderTemplate) {
  for (let i = 0; i < 30; i++) {
    expectOk(await renderTemplate(pool, 'org-expr', TREE, CONTEXT));
    expectOk(await pool.runCode({ orgId: 'org-warm', code: CODE, ...CONTEXT }));
  }
  // Start every host process, so the cold runs measure isolates, not process start-up.
  for (let lane = 0; lane < CONCURRENCY; lane++) {
    expectOk(await renderTemplate(pool, `org-expr-${lane}`, TREE, CONTEXT));
  }
}

async function refuseSecret() {
  throw new Error('the bench uses no secrets');
}

function failed(e) {
  return { ok: false, error: { type: e?.type ?? 'error', message: e?.message ?? String(e) } };
}

function expectOk(result) {
  if (!result.ok) throw new Error(`sandbox bench call failed: ${JSON.stringify(result.error)}`);
  return result;
}

/**
 * Expressions evaluated per second with `lanes` renders in flight, and the CPU this (API) process spent per
 * render: isolates run in host processes, so this is what sandboxing costs the server's main thread.
 */
async function expressionRate(render, lanes) {
  const until = performance.now() + EXPRESSION_SECONDS * 1000;
  let renders = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < until) {
        expectOk(await render(lane));
        renders++;
      }
    }),
  );
  const { user, system } = process.cpuUsage(cpu);
  const perSecond = Math.round((renders * EXPRESSIONS.length) / ((performance.now() - started) / 1000));
  return { perSecond, apiCpuMsPerRender: Number(((user + system) / 1000 / renders).toFixed(3)) };
}

async function latencies(runs, call) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    expectOk(await call(i));
    samples.push(performance.now() - started);
  }
  return percentiles(samples);
}

function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(3));
  return { p50: at(0.5), p99: at(0.99) };
}

/** The same expressions and code as plain functions in this process: compiled once (warm) or per run (cold). */
async function nativeBaseline() {
  const args = ['trigger', 'nodes', 'input'];
  const batch = new Function(...args, `return [${EXPRESSIONS.map((e) => `(${e})`).join(',')}];`);
  const { trigger, nodes, input } = CONTEXT;
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < EXPRESSION_SECONDS * 1000) {
    for (let i = 0; i < 1000; i++) batch(trigger, nodes, input);
    calls += 1000;
  }
  const expressionsPerSecond = Math.round((calls * EXPRESSIONS.length) / ((performance.now() - started) / 1000));
  const AsyncFunction = (async () => {}).constructor;
  const warm = new AsyncFunction(...args, CODE);
  return {
    expressionsPerSecond,
    codeColdMs: await latencies(COLD_RUNS, () => new AsyncFunction(...args, CODE)(trigger, nodes, input).then(ok)),
    codeWarmMs: await latencies(WARM_RUNS, () => warm(trigger, nodes, input).then(ok)),
  };
}

function ok(value) {
  return { ok: true, value };
}

function ratios(sandbox, native) {
  const times = (a, b) => Number((a / b).toFixed(1));
  return {
    expressionsNativeOverSandbox: times(native.expressionsPerSecond, sandbox.expressionsPerSecond),
    codeWarmP50SandboxOverNative: times(sandbox.codeWarmMs.p50, native.codeWarmMs.p50),
    codeColdP50SandboxOverNative: times(sandbox.codeColdMs.p50, native.codeColdMs.p50),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchSandbox(), null, 2));
}
