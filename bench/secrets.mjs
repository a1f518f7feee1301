// Secrets bench: secret resolution per run, with a warm org cache (microseconds) and cold (TTL 0: one provider round
// trip per run, the real node-vault client against a loopback Vault double). Measures the engine's path: a RunState
// per run resolving its references through the secrets module's resolver (run cache, org cache, redaction set).
// `benchSecrets()` is called by bench/run.mjs (`node bench/run.mjs secrets` runs only this section);
// `node --no-node-snapshot bench/secrets.mjs` runs it alone. Needs `npm run build` first.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;
const RUNS = Number(process.env.BENCH_SECRETS_RUNS ?? 2000);
const COLD_RUNS = Number(process.env.BENCH_SECRETS_COLD_RUNS ?? 500);
const ORG = '01900000-0000-7000-8000-000000000001';
const TOKEN = 'hvs.bench-token';

/** The smallest faithful Vault for this: token lookup-self and KV v2 reads, `X-Vault-Token` checked. */
async function vaultDouble() {
  let reads = 0;
  const server = createServer((req, res) => {
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    req.resume();
    req.on('end', () => {
      if (req.headers['x-vault-token'] !== TOKEN) return send(403, { errors: ['permission denied'] });
      if (req.url === '/v1/auth/token/lookup-self')
        return send(200, { data: { ttl: 0, renewable: false, policies: ['default'] } });
      const m = /^\/v1\/secret\/data\/(.+)$/.exec(req.url ?? '');
      if (!m) return send(404, { errors: [] });
      reads++;
      return send(200, {
        data: { data: { api_key: `sk_bench_${m[1]}_value`, user: 'bench' }, metadata: { version: 1 } },
      });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    reads: () => reads,
    stop: () => new Promise((r) => server.close(r)),
  };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const us = (ms) => Math.round(ms * 1000 * 10) / 10;

async function measure(label, runs, perRun) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await perRun(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { case: label, runs, 'mean µs': us(mean), 'p50 µs': us(pct(times, 50)), 'p99 µs': us(pct(times, 99)) };
}

export async function benchSecrets() {
  const { AppConfig } = await import(dist('core/config/app-config.js'));
  const { Metrics } = await import(dist('core/metrics/metrics.js'));
  const { ProviderFactory } = await import(dist('modules/secrets/provider-factory.js'));
  const { SecretResolverService } = await import(dist('modules/secrets/secret-resolver.service.js'));
  const { RunState } = await import(dist('modules/execution/engine/run-state.js'));
  const { DEFAULT_RUN_LIMITS } = await import(dist('modules/execution/engine/run-types.js'));
  const { systemResolver } = await import(dist('modules/egress/index.js'));
  const vault = await vaultDouble();
  // The provider row as the store would load it (the store's one indexed read per cold resolution is not timed here).
  const spec = {
    type: 'vault',
    config: { address: vault.url, mount: 'secret', kvVersion: 2 },
    auth: { method: 'token', token: TOKEN },
    allowlist: ['127.0.0.1'],
  };
  const store = { load: async () => ({ spec, version: 'bench' }) };
  const resolverFor = (ttl) => {
    const config = AppConfig.fromEnv({}, { TENANTFLOW_SECRETS_CACHE_TTL: String(ttl) });
    return new SecretResolverService(config, store, new ProviderFactory(config, systemResolver), new Metrics());
  };
  // One reference used twice in a run (e.g. a header and a query parameter): the run's cache makes it one call.
  const refs = [
    { provider: 'vault', path: 'stripe', key: 'api_key' },
    { provider: 'vault', path: 'stripe', key: 'api_key' },
  ];
  const oneRun = (resolver) => async (i) => {
    const state = new RunState(
      {
        runId: `r${i}`,
        orgId: ORG,
        flowId: 'f',
        version: 1,
        definition: { nodes: [], edges: [] },
        trigger: { type: 'manual', input: {} },
        limits: DEFAULT_RUN_LIMITS,
      },
      resolver,
    );
    try {
      for (const ref of refs) await state.resolve(ref);
    } finally {
      state.dispose();
    }
  };
  try {
    const warmResolver = resolverFor(60_000);
    await oneRun(warmResolver)(-1); // fills the org cache (and connects the client)
    const warm = await measure('warm org cache (a reference used twice; 0 provider calls)', RUNS, oneRun(warmResolver));
    const coldResolver = resolverFor(0);
    await oneRun(coldResolver)(-1); // connects the client once; every run below still reads Vault
    const before = vault.reads();
    const cold = await measure(
      'cold: TTL 0 (a reference used twice; 1 Vault round trip)',
      COLD_RUNS,
      oneRun(coldResolver),
    );
    const callsPerRun = (vault.reads() - before) / COLD_RUNS;
    warmResolver.onModuleDestroy();
    coldResolver.onModuleDestroy();
    console.log('\n== Secret resolution per run (node-vault against a loopback Vault double) ==');
    console.table([warm, cold]);
    console.log(`Vault reads per cold run: ${callsPerRun} (target 1: at most one provider call per reference per run)`);
    return { warm, cold, vaultReadsPerColdRun: callsPerRun };
  } finally {
    await vault.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSecrets();
