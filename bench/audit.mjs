// Audit bench: seeds 1,000,000 entries across 100 orgs (valid hash chains, computed in bulk), then measures a
// filtered page (action + time range) through the real HTTP API, export throughput, and chain verification.
// `benchAudit({ databaseUrl })` is called by bench/run.mjs; `node --no-node-snapshot bench/audit.mjs` runs it alone.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;
const ORGS = Number(process.env.BENCH_AUDIT_ORGS ?? 100);
const PER_ORG = Number(process.env.BENCH_AUDIT_PER_ORG ?? 10_000);
const QUERIES = Number(process.env.BENCH_AUDIT_QUERIES ?? 2000);
const SPAN_MS = 300 * 86_400_000;
const ACTIONS = [
  'project.created',
  'project.updated',
  'project.deleted',
  'flow.created',
  'flow.draft_saved',
  'flow.published',
  'flow.enabled',
  'flow.disabled',
  'run.started',
  'run.cancelled',
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'api_key.created',
  'api_key.revoked',
  'user.updated',
  'role.updated',
  'sso.updated',
  'authz.denied',
  'auth.login',
];

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (n) => Math.round(n * 100) / 100;

/** A fresh database for the run: on the given server, or on an embedded PostgreSQL in a temporary directory. */
async function openDatabase(databaseUrl) {
  if (!databaseUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tenantflow-bench-audit-'));
    chmodSync(dataDir, 0o711);
    return {
      env: { TENANTFLOW_DATA_DIR: dataDir },
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `tf_bench_audit_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}

// The chain in SQL: a running aggregate over each org's entries in seq order, with the same formula as
// audit_append (sha256 of prev | seq | ISO time | canonical body). Bodies are built in the canonical key order of
// `entryBody` (sorted keys, no whitespace); the bench verifies a seeded chain at the end to prove they agree.
const CHAIN_SQL = [
  `CREATE FUNCTION pg_temp.bench_chain_step(prev text, payload text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
     AS $$ SELECT encode(sha256(convert_to(prev || '|' || payload, 'UTF8')), 'hex') $$`,
  `CREATE AGGREGATE pg_temp.bench_chain(text) (SFUNC = pg_temp.bench_chain_step, STYPE = text, INITCOND = '${'0'.repeat(64)}')`,
];

const SEED_SQL = `
INSERT INTO audit_event (id, org_id, seq, created_at, actor_type, actor_id, actor_name, action, resource_type, resource_id,
                         outcome, reason, ip, user_agent, request_id, metadata, hash)
SELECT id::uuid, org_id, seq, at, 'api_key', actor_id, actor_name, action, resource_type, resource_id, outcome, reason, '10.0.0.1',
       'bench/1.0', request_id, jsonb_build_object('n', seq),
       pg_temp.bench_chain(seq::text || '|' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' || format(
         '{"action":"%s","actor":{"id":"%s","name":"%s","type":"api_key"},"id":"%s","ip":"10.0.0.1","metadata":{"n":%s},"orgId":"%s","outcome":"%s","reason":%s,"requestId":"%s","resource":{"id":"%s","type":"%s"},"userAgent":"bench/1.0","v":1}',
         action, actor_id, actor_name, id, seq, org_id, outcome, coalesce('"' || reason || '"', 'null'), request_id, resource_id, resource_type))
         OVER (PARTITION BY org_id ORDER BY seq)
FROM (
  SELECT g.*, a.action, split_part(a.action, '.', 1) AS resource_type,
         CASE WHEN a.action = 'authz.denied' THEN 'denied' ELSE 'success' END AS outcome,
         CASE WHEN a.action = 'authz.denied' THEN 'role' END AS reason,
         (lpad(to_hex((extract(epoch FROM g.at) * 1000)::bigint), 12, '0') || '7' || substr(g.r, 1, 3) || '8' || substr(g.r, 4, 15))::uuid::text AS id
  FROM (
    SELECT o.org_id, s.seq, $2::timestamptz + ((s.seq - 1) * $3::bigint / $4::bigint) * interval '1 millisecond' AS at,
           md5(o.org_id::text || (s.seq % 20))::uuid::text AS actor_id, 'key ' || (s.seq % 20) AS actor_name,
           gen_random_uuid()::text AS resource_id, gen_random_uuid()::text AS request_id, md5(random()::text) AS r
    FROM unnest($1::uuid[]) AS o(org_id) CROSS JOIN generate_series(1, $4::int) AS s(seq)
  ) g JOIN LATERAL (SELECT ($5::text[])[1 + g.seq % array_length($5::text[], 1)] AS action) a ON true
) e`;

/** Seeds the chains of `orgIds` on one connection (one statement), then their chain heads. */
async function seedOrgs(connect, orgIds, start) {
  const c = await connect();
  try {
    await c.query(`SET work_mem = '256MB'; SET synchronous_commit = off`);
    for (const sql of CHAIN_SQL) await c.query(sql);
    await c.query(SEED_SQL, [orgIds, new Date(start), SPAN_MS, PER_ORG, ACTIONS]);
    await c.query(
      `INSERT INTO audit_chain (org_id, seq, head_hash, last_at)
      SELECT org_id, seq, hash, created_at FROM audit_event WHERE org_id = ANY($1::uuid[]) AND seq = $2`,
      [orgIds, PER_ORG],
    );
  } finally {
    await c.end();
  }
}

async function seed(server, connect) {
  const db = server.deps.db;
  const orgs = Array.from({ length: ORGS }, (_, i) => ({ id: randomUUID(), slug: `bench-audit-${i}` }));
  await db.systemQuery(
    `INSERT INTO organization (id, slug, name) SELECT * FROM unnest($1::uuid[], $2::text[], $2::text[])`,
    [orgs.map((o) => o.id), orgs.map((o) => o.slug)],
  );
  const now = Date.now() - 3_600_000;
  const start = now - SPAN_MS;
  const t0 = performance.now();
  const ids = orgs.map((o) => o.id);
  const half = Math.ceil(ids.length / 2);
  // Two writers, one per core, each one INSERT ... SELECT for half of the orgs.
  await Promise.all(
    [ids.slice(0, half), ids.slice(half)].filter((g) => g.length).map((g) => seedOrgs(connect, g, start)),
  );
  // Like a long-lived table: visibility map set and statistics fresh, no autovacuum racing the measurement.
  await db.systemQuery('VACUUM (ANALYZE) audit_event');
  const seedSeconds = (performance.now() - t0) / 1000;
  const { ApiKeysService } = await import(dist('modules/identity/index.js'));
  const keys = server.app.get(ApiKeysService);
  for (const o of orgs) {
    o.key = await server.deps.db.withOrg(
      o.id,
      async (em) => (await keys.insert(em, { orgId: o.id, name: 'bench', role: 'owner', createdByType: 'system' })).key,
    );
  }
  return { orgs, now, seedSeconds };
}

async function timedGet(url, key) {
  const t = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - t, items: body.items?.length ?? 0 };
}

// Each audit query is followed by a GET /api/v1/org with the same key: the same authentication, rate limiting
// and tenant transaction around a trivial query, so the two percentiles show what the machine's load adds.
async function filteredPages(server, orgs, now) {
  const audit = [];
  const base = [];
  let items = 0;
  for (let i = 0; i < QUERIES + 200; i++) {
    const o = orgs[i % orgs.length];
    const action = ACTIONS[(i * 7) % ACTIONS.length];
    const from = now - SPAN_MS + Math.floor(Math.random() * (SPAN_MS - 30 * 86_400_000));
    const q = `action=${action}&from=${new Date(from).toISOString()}&to=${new Date(from + 30 * 86_400_000).toISOString()}&limit=50`;
    const r = await timedGet(`${server.url}/api/v1/audit-events?${q}`, o.key);
    const b = await timedGet(`${server.url}/api/v1/org`, o.key);
    if (i >= 200) {
      audit.push(r.ms);
      base.push(b.ms);
      items += r.items;
    } // the first 200 warm caches and connections
  }
  const stats = (l) => {
    l.sort((a, b) => a - b);
    return { p50Ms: round(pct(l, 50)), p95Ms: round(pct(l, 95)), p99Ms: round(pct(l, 99)) };
  };
  return {
    requests: audit.length,
    avgItems: round(items / audit.length),
    ...stats(audit),
    baselineGetOrg: stats(base),
  };
}

async function exportThroughput(server, orgs, format) {
  const t = performance.now();
  let entries = 0;
  let bytes = 0;
  for (const o of orgs.slice(0, 5)) {
    const res = await fetch(`${server.url}/api/v1/audit-events/export?format=${format}`, {
      headers: { authorization: `Bearer ${o.key}` },
    });
    if (!res.ok) throw new Error(`export ${format}: ${res.status}`);
    const text = await res.text();
    bytes += Buffer.byteLength(text);
    entries += text.split('\n').filter(Boolean).length - (format === 'csv' ? 1 : 0);
  }
  const s = (performance.now() - t) / 1000;
  return { entries, seconds: round(s), entriesPerSecond: Math.round(entries / s), mbPerSecond: round(bytes / 1e6 / s) };
}

/** A connection of the running server's owner login (embedded or external). */
const ownerConnection = (server) => () => server.deps.db.dedicatedClient('tenantflow:bench');

export async function benchAudit({ databaseUrl } = {}) {
  const database = await openDatabase(databaseUrl);
  const { startServer } = await import(dist('app.factory.js'));
  const { verifyAuditChain } = await import(dist('modules/audit/index.js'));
  const server = await startServer({
    env: { NODE_ENV: 'production', TENANTFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'), ...database.env },
    overrides: {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      TENANTFLOW_API_RATE_LIMIT: '1000000000',
      ...(database.env.DATABASE_URL ? { DATABASE_URL: database.env.DATABASE_URL } : {}),
    },
  });
  try {
    const { orgs, now, seedSeconds } = await seed(server, ownerConnection(server));
    const page = await filteredPages(server, orgs, now);
    const ndjson = await exportThroughput(server, orgs, 'ndjson');
    const csv = await exportThroughput(server, orgs, 'csv');
    const tv = performance.now();
    const verified = await verifyAuditChain(server.deps.db, orgs[0].id);
    const verifySeconds = (performance.now() - tv) / 1000;
    if (!verified.ok) throw new Error(`seeded chain does not verify: ${JSON.stringify(verified.chains[0])}`);
    const result = {
      entries: ORGS * PER_ORG,
      orgs: ORGS,
      seedSeconds: round(seedSeconds),
      filteredPage: { ...page, target: 'p99 < 50 ms', pass: page.p99Ms < 50 },
      exportNdjson: ndjson,
      exportCsv: csv,
      verify: {
        entries: verified.checked,
        seconds: round(verifySeconds),
        entriesPerSecond: Math.round(verified.checked / verifySeconds),
      },
    };
    console.log(
      `\n== Audit log (${result.entries.toLocaleString('en')} entries, ${ORGS} orgs; seeded in ${result.seedSeconds} s) ==`,
    );
    console.log(
      `filtered page (action + 30-day range, 50 items): p50 ${page.p50Ms} ms, p95 ${page.p95Ms} ms, p99 ${page.p99Ms} ms over ${page.requests} requests (target p99 < 50 ms: ${page.p99Ms < 50 ? 'met' : 'MISSED'})`,
    );
    console.log(
      `  same requests' GET /api/v1/org baseline: p50 ${page.baselineGetOrg.p50Ms} ms, p99 ${page.baselineGetOrg.p99Ms} ms`,
    );
    console.log(
      `export: NDJSON ${ndjson.entriesPerSecond.toLocaleString('en')} entries/s (${ndjson.mbPerSecond} MB/s), CSV ${csv.entriesPerSecond.toLocaleString('en')} entries/s (${csv.mbPerSecond} MB/s)`,
    );
    console.log(`verify: ${result.verify.entriesPerSecond.toLocaleString('en')} entries/s`);
    return result;
  } finally {
    await server.close();
    if (!process.env.BENCH_AUDIT_KEEP) await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchAudit({ databaseUrl: process.env.DATABASE_URL });
}
