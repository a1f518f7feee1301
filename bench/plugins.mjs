// Plugin host overhead (issue 16): the authenticated project list with no plugin, with three trusted plugins and
// with three sandboxed plugins (each with an onRequest and an onAuthorize hook, enabled for the org), same run.
import { api, load, startTenantflow } from './lib.mjs';

const plugins = (mode) => [1, 2, 3].map((i) => `./bench/plugins/${mode}-${i}.mjs`);

async function measure(mode) {
  const tf = await startTenantflow(mode ? { TENANTFLOW_PLUGINS: plugins(mode).join(',') } : {});
  try {
    for (let i = 0; i < 10; i++) await api(tf.url, tf.ownerKey, 'POST', '/api/v1/projects', { name: `p-${i}` });
    for (const [i] of plugins(mode ?? 'none').entries()) {
      if (mode)
        await api(tf.url, tf.ownerKey, 'PUT', `/api/v1/plugins/bench-${mode}-${i + 1}/config`, {
          enabled: true,
          settings: {},
        });
    }
    // Warm up (isolates for sandboxed hooks start on an org's first call).
    await load({
      url: `${tf.url}/api/v1/projects?limit=10`,
      headers: { authorization: `Bearer ${tf.ownerKey}` },
      duration: 1,
    });
    return await load({
      url: `${tf.url}/api/v1/projects?limit=10`,
      headers: { authorization: `Bearer ${tf.ownerKey}` },
    });
  } finally {
    await tf.stop();
  }
}

export async function benchPlugins() {
  const none = await measure(null);
  const trusted = await measure('trusted');
  const sandboxed = await measure('sandboxed');
  console.log('\n== Plugin hooks: GET /api/v1/projects (10 items, owner key, 50 connections) ==');
  console.table({
    'no plugins': none,
    '3 trusted plugins (onRequest + onAuthorize each)': trusted,
    '3 sandboxed plugins (same hooks)': sandboxed,
  });
  const pct = (x) => `${(((x.p50 - none.p50) / none.p50) * 100).toFixed(0)}%`;
  console.log(
    `issue 16: trusted hooks add ${pct(trusted)} at p50 (target < 10%), sandboxed hooks add ${pct(sandboxed)} at p50; ` +
      `requests/s ${none.rps} → ${trusted.rps} (trusted), ${sandboxed.rps} (sandboxed)`,
  );
}
