// `npm run bench`: measures the API against bare baselines started in the same run, and reports ratios.
// Sections from other modules (bench/*.mjs exporting bench* functions) run after the core figures when present.
import { existsSync } from 'node:fs';
import { api, forkServer, load, ratio, startTenantflow } from './lib.mjs';

async function coreApi() {
  const base = await forkServer('bench/baseline-express.mjs');
  const tf = await startTenantflow();
  try {
    // 100 projects; an editor key sees them through its ability (rules → SQL), the owner through `manage all`.
    for (let i = 0; i < 100; i++) await api(tf.url, tf.ownerKey, 'POST', '/api/v1/projects', { name: `project-${i}` });
    const editor = await createKey(tf, 'editor').catch(() => null);
    const headers = (key) => ({ authorization: `Bearer ${key}` });
    const baseline = await load({ url: `http://127.0.0.1:${base.port}/list` });
    const owner = await load({ url: `${tf.url}/api/v1/projects?limit=100`, headers: headers(tf.ownerKey) });
    const filtered = editor ? await load({ url: `${tf.url}/api/v1/projects?limit=100`, headers: headers(editor) }) : null;
    console.log('\n== Management API (50 connections, 100 items per page) ==');
    console.table({
      'bare Express JSON route': baseline,
      'GET /api/v1/projects (owner key, RLS-scoped)': owner,
      ...(filtered ? { 'GET /api/v1/projects (editor key, ability-filtered)': filtered } : {}),
    });
    console.log(`authenticated RLS-scoped list vs bare Express: ${ratio(owner.rps, baseline.rps)} of its requests/s (target ≥ 35%)`);
    if (filtered) console.log(`ability-filtered list vs bare Express: ${ratio(filtered.rps, baseline.rps)}; p50 ${filtered.p50} ms vs ${owner.p50} ms for the owner list`);
  } finally {
    await tf.stop();
    await base.stop();
  }
}

async function createKey(tf, role) {
  const res = await fetch(`${tf.url}/api/v1/api-keys`, {
    method: 'POST', headers: { authorization: `Bearer ${tf.ownerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `bench-${role}`, role }),
  });
  if (res.ok) return (await res.json()).key;
  throw new Error(`POST /api/v1/api-keys answered ${res.status}`);
}

const sections = [['core', coreApi]];
for (const [file, fn] of [['sandbox.mjs', 'benchSandbox'], ['webhook.mjs', 'benchWebhook'], ['audit.mjs', 'benchAudit']]) {
  if (existsSync(new URL(file, import.meta.url))) sections.push([file, async () => {
    const mod = await import(`./${file}`);
    const result = await mod[fn]({ databaseUrl: process.env.DATABASE_URL });
    if (result) console.log(`\n== ${file} ==\n${JSON.stringify(result, null, 2)}`);
  }]);
}
const only = process.argv[2];
for (const [name, run] of sections) if (!only || name.startsWith(only)) await run();
