import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer } from '../../src/app.factory.js';
import { createKey } from '../utils/flow-helpers.js';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/plugins/${name}/index.ts`, import.meta.url));
const PLUGINS = [
  fixture('probe-trusted'),
  fixture('probe-sandboxed'),
  'usage-meter',
  'publish-window',
  'pii-redactor',
  'ip-allowlist',
];
const MODES = [
  ['trusted', 'probe-trusted'],
  ['sandboxed', 'probe-sandboxed'],
] as const;

describe('plugin host', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let sql: pg.Client;
  let echo: Server;
  let echoed: string[] = [];

  const configure = (org: TestOrg, name: string, settings: Record<string, unknown>, enabled = true) =>
    t.http().put(`/api/v1/plugins/${name}/config`).set(bearer(org.ownerKey)).send({ enabled, settings });
  const webhook = (flowId: string, body: unknown = { a: 1, b: 2 }) =>
    t
      .http()
      .post(`/hooks/${flowId}`)
      .send(body as object);
  const failures = async (org: TestOrg, plugin: string) =>
    (
      await sql.query(
        `SELECT reason, metadata FROM audit_event WHERE org_id = $1 AND action = 'plugin.hook_failed' AND resource_id = $2`,
        [org.id, plugin],
      )
    ).rows;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_PLUGINS: PLUGINS.join(','), TENANTFLOW_PLUGINS_VERIFY_INTERVAL: '200' });
    [a, b] = [await t.createOrg(), await t.createOrg()];
    sql = new pg.Client({ connectionString: inject('databaseUrl') });
    await sql.connect();
    // Org A's flows may call the loopback echo server (before any run reads and caches A's settings).
    await sql.query(
      `UPDATE organization SET settings = jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [a.id],
    );
    echo = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        echoed.push(body);
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await sql?.end();
    echo?.close();
    await t?.close();
  });

  it("lists the loaded plugins with their hooks, mode, tables and status, and this org's settings", async () => {
    await configure(a, 'ip-allowlist', { allow: ['127.0.0.1', '::1'] }).expect(200);
    const res = await t.http().get('/api/v1/plugins').set(bearer(a.ownerKey)).expect(200);
    const byName = Object.fromEntries(res.body.items.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual([
      'ip-allowlist',
      'pii-redactor',
      'probe-sandboxed',
      'probe-trusted',
      'publish-window',
      'usage-meter',
    ]);
    expect(byName['publish-window']).toMatchObject({
      mode: 'sandboxed',
      hooks: ['onAuthorize'],
      status: 'ready',
      enabled: false,
    });
    expect(byName['usage-meter']).toMatchObject({
      requiredTables: [{ name: 'plugin_usage_meter_counts', columns: ['org_id', 'node_type', 'executions'] }],
      status: 'ready',
    });
    expect(byName['ip-allowlist']).toMatchObject({ enabled: true, settings: { allow: ['127.0.0.1', '::1'] } });
    expect(res.body.nextCursor).toBeNull();
    // Per-org: org B sees its own (absent) configuration, never A's.
    const forB = (await t.http().get('/api/v1/plugins').set(bearer(b.ownerKey)).expect(200)).body.items.find(
      (p: { name: string }) => p.name === 'ip-allowlist',
    );
    expect(forB).toMatchObject({ enabled: false, settings: {} });
    await configure(a, 'ip-allowlist', {}, false).expect(400);
    await configure(a, 'ip-allowlist', { allow: [] }, false).expect(200);
  });

  it('validates and audits per-org configuration; only admins configure', async () => {
    const bad = await configure(a, 'publish-window', { startHour: 'nine' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'plugin_config_invalid',
      errors: [expect.objectContaining({ path: expect.stringContaining('settings') })],
    });
    expect((await configure(a, 'no-such-plugin', {})).body.code).toBe('plugin_not_found');
    await t
      .http()
      .put('/api/v1/plugins/publish-window/config')
      .set(bearer(a.ownerKey))
      .send({ enabled: true, settings: {}, orgId: b.id })
      .expect(400);
    const viewer = await createKey(t, a.id, 'viewer');
    await t.http().get('/api/v1/plugins').set(bearer(viewer)).expect(200);
    await t
      .http()
      .put('/api/v1/plugins/publish-window/config')
      .set(bearer(viewer))
      .send({ enabled: true, settings: { startHour: 0, endHour: 24 } })
      .expect(403);
    await configure(a, 'publish-window', { startHour: 0, endHour: 24 }, false).expect(200);
    const audit = await sql.query(
      `SELECT metadata FROM audit_event WHERE org_id = $1 AND action = 'plugin.configured' AND resource_id = 'publish-window'`,
      [a.id],
    );
    expect(audit.rows.at(-1)?.metadata).toMatchObject({
      after: { enabled: false, settings: { startHour: 0, endHour: 24 } },
    });
  });

  describe.each(MODES)('%s hooks', (_mode, name) => {
    it('onRequest: answer early, change request headers, and fail closed on a throw, a hang or a bad answer', async () => {
      await configure(a, name, { request: 'answer' }).expect(200);
      const early = await t.http().get('/api/v1/projects').set(bearer(a.ownerKey));
      expect(early.status).toBe(418);
      expect(early.headers['x-probe']).toBe('early');
      expect(early.body).toEqual({ probe: 'answered early', org: a.id });
      // Org B has not enabled the plugin: it never runs there.
      await t.http().get('/api/v1/projects').set(bearer(b.ownerKey)).expect(200);

      // A header set by the hook reaches the route: two manual runs without a key become one (Idempotency-Key).
      await configure(a, name, {}).expect(200);
      const flowId = await publishedFlow(
        t,
        a.ownerKey,
        hookFlow([{ id: 't', type: 'transform', params: { fields: { x: 1 } } }]),
      );
      await configure(a, name, { request: 'header' }).expect(200);
      const r1 = await t
        .http()
        .post(`/api/v1/flows/${flowId}/runs`)
        .set(bearer(a.ownerKey))
        .send({ input: {} })
        .expect(201);
      const r2 = await t
        .http()
        .post(`/api/v1/flows/${flowId}/runs`)
        .set(bearer(a.ownerKey))
        .send({ input: {} })
        .expect(201);
      expect(r2.body.runId).toBe(r1.body.runId);

      for (const [mode, reason] of [
        ['throw', 'plugin_error'],
        ['hang', 'plugin_timeout'],
        ['garbage', 'invalid_result'],
        ['protected', 'invalid_result'],
      ]) {
        // The plugin routes themselves are never subject to plugin hooks: a failing plugin cannot lock its org out.
        await configure(a, name, { request: mode }).expect(200);
        const res = await t.http().get('/api/v1/projects').set(bearer(a.ownerKey));
        expect(res.status, mode).toBe(403);
        expect(res.body).toMatchObject({ code: 'forbidden', reason: `${name}:${reason}` });
      }
      expect((await failures(a, name)).map((r) => r.reason)).toEqual(
        expect.arrayContaining(['plugin_error', 'plugin_timeout']),
      );
      await configure(a, name, {}, false).expect(200);
    });

    it('onAuthorize: allow, abstain and deny with a reason; a throw or a hang denies; no plugin turns a built-in deny into an allow', async () => {
      const viewer = await createKey(t, a.id, 'viewer');
      await configure(a, name, { authorize: 'allow' }).expect(200);
      await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
      await t.http().post('/api/v1/projects').set(bearer(viewer)).send({ name: 'nope' }).expect(403);
      await configure(a, name, { authorize: 'abstain' }).expect(200);
      await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
      await configure(a, name, { authorize: 'deny' }).expect(200);
      const denied = await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(403);
      expect(denied.body).toMatchObject({ code: 'forbidden', reason: `${name}:probe_says_no` });
      await t.http().get('/api/v1/projects').set(bearer(b.ownerKey)).expect(200);
      const audit = await sql.query(
        `SELECT reason FROM audit_event WHERE org_id = $1 AND action = 'authz.denied' ORDER BY seq DESC LIMIT 1`,
        [a.id],
      );
      expect(audit.rows[0].reason).toBe(`plugin:${name}:probe_says_no`);
      for (const [mode, reason] of [
        ['throw', 'plugin_error'],
        ['hang', 'plugin_timeout'],
      ]) {
        await configure(a, name, { authorize: mode }).expect(200);
        expect((await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(403)).body.reason).toBe(
          `${name}:${reason}`,
        );
      }
      await configure(a, name, {}, false).expect(200);
      await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
    });

    it('beforeNodeExecute: replace parameters, skip a node with an output, and fail the node on a throw, a hang or invalid parameters', async () => {
      const def = hookFlow([
        { id: 't', type: 'transform', params: { fields: { original: '{{ trigger.body.a }}' } } },
        { id: 'c', type: 'code', params: { code: 'throw new Error("the code node ran")' } },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes }}' } },
      ]);
      const flowId = await publishedFlow(t, a.ownerKey, def);
      await configure(a, name, { node: 'replace' }).expect(200);
      expect((await webhook(flowId)).status).toBe(502); // the code node still runs and throws
      await configure(a, name, { node: 'skip' }).expect(200);
      const skipped = await webhook(flowId).expect(200);
      expect(skipped.body.c.output).toEqual({ skipped: true });
      for (const [mode, type] of [
        ['throw', 'plugin_error'],
        ['hang', 'plugin_timeout'],
        ['invalid', 'plugin_error'],
      ]) {
        await configure(a, name, { node: mode }).expect(200);
        const res = await webhook(flowId);
        expect(res.status, mode).toBe(502);
        expect(res.body.error, mode).toMatchObject({ type });
      }
      await configure(a, name, {}, false).expect(200);
    });

    it('beforeNodeExecute replaces parameters that the node then uses', async () => {
      const flowId = await publishedFlow(
        t,
        a.ownerKey,
        hookFlow([
          { id: 't', type: 'transform', params: { fields: { original: '{{ trigger.body.a }}' } } },
          { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.t.output }}' } },
        ]),
      );
      await configure(a, name, { node: 'replace' }).expect(200);
      expect((await webhook(flowId).expect(200)).body).toEqual({ replaced: 'by probe', seen: { original: 1 } });
      await configure(a, name, {}, false).expect(200);
      expect((await webhook(flowId).expect(200)).body).toEqual({ original: 1 });
    });
  });

  it('a sandboxed plugin sees JSON of its own org only: no process, require or network', async () => {
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        { id: 'c', type: 'code', params: { code: 'return 1;' } },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.c.output }}' } },
      ]),
    );
    await configure(a, 'probe-sandboxed', { node: 'peek' }).expect(200);
    const seen = (await webhook(flowId).expect(200)).body;
    expect(seen).toEqual({
      process: 'undefined',
      require: 'undefined',
      fetch: 'undefined',
      XMLHttpRequest: 'undefined',
      WebSocket: 'undefined',
      importScripts: 'undefined',
      ctxKeys: ['config', 'node', 'org', 'run'],
      org: a.id,
    });
    await configure(a, 'probe-sandboxed', {}, false).expect(200);
  });

  it('examples: the IP allowlist answers 403 from elsewhere; the publish window refuses publishing outside its hours', async () => {
    await configure(a, 'ip-allowlist', { allow: ['10.0.0.0/8'] }).expect(200);
    expect((await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(403)).body.code).toBe(
      'ip_not_allowed',
    );
    await configure(b, 'ip-allowlist', { allow: ['10.0.0.0/8'] }, false).expect(200);
    await t.http().get('/api/v1/projects').set(bearer(b.ownerKey)).expect(200);
    await configure(a, 'ip-allowlist', { allow: ['127.0.0.0/8', '::1'] }).expect(200);
    await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
    await configure(a, 'ip-allowlist', { allow: [] }, false).expect(200);

    const hour = new Date().getUTCHours();
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 't', type: 'transform', params: { fields: { x: 1 } } }]),
    );
    await configure(a, 'publish-window', { startHour: (hour + 2) % 24, endHour: (hour + 3) % 24 }).expect(200);
    const refused = await t.http().post(`/api/v1/flows/${flowId}/publish`).set(bearer(a.ownerKey)).send({}).expect(403);
    expect(refused.body.reason).toBe('publish-window:outside_publish_window');
    await configure(a, 'publish-window', { startHour: 0, endHour: 24 }).expect(200);
    await t.http().post(`/api/v1/flows/${flowId}/publish`).set(bearer(a.ownerKey)).send({}).expect(201);
    await configure(a, 'publish-window', { startHour: 0, endHour: 24 }, false).expect(200);
  });

  it('examples: the PII redactor masks e-mail addresses in http.request bodies; the usage meter counts into its own table', async () => {
    await configure(a, 'pii-redactor', {}).expect(200);
    await configure(a, 'usage-meter', {}).expect(200);
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow(
        [
          {
            id: 'call',
            type: 'http.request',
            params: {
              method: 'POST',
              url: `http://127.0.0.1:${(echo.address() as { port: number }).port}/in`,
              body: { note: 'mail {{ trigger.body.email }} now', to: ['x@example.com'] },
            },
          },
        ],
        { respond: 'wait' },
      ),
    );
    echoed = [];
    await webhook(flowId, { email: 'alice@example.org' });
    expect(echoed).toHaveLength(1);
    expect(JSON.parse(echoed[0])).toEqual({ note: 'mail [email] now', to: ['[email]'] });
    const counts = await sql.query(`SELECT node_type, executions FROM plugin_usage_meter_counts WHERE org_id = $1`, [
      a.id,
    ]);
    expect(counts.rows).toEqual([{ node_type: 'http.request', executions: '1' }]);
    await configure(a, 'pii-redactor', {}, false).expect(200);
  });

  it('a dropped table or column keeps /health/ready at 503 naming it, turns the plugin off, and restoring it makes the server ready again', async () => {
    await t.http().get('/health/ready').expect(200);
    await sql.query(`ALTER TABLE plugin_usage_meter_counts RENAME COLUMN executions TO executions_gone`);
    try {
      const problem = 'plugin "usage-meter": column "plugin_usage_meter_counts.executions" is missing';
      await expect
        .poll(async () => (await t.http().get('/health/ready')).body, { timeout: 10_000, interval: 100 })
        .toEqual({ status: 'not_ready', problems: { plugins: [problem] } });
      const verify = await cliVerify();
      expect(verify.code).toBe(1);
      expect(verify.stdout).toContain(problem);
      // Its hooks are off meanwhile: a run is not counted (nor refused).
      const flowId = await publishedFlow(
        t,
        a.ownerKey,
        hookFlow([{ id: 't', type: 'transform', params: { fields: { x: 1 } } }]),
      );
      await webhook(flowId).expect(200);
    } finally {
      await sql.query(`ALTER TABLE plugin_usage_meter_counts RENAME COLUMN executions_gone TO executions`);
    }
    await expect
      .poll(async () => (await t.http().get('/health/ready')).status, { timeout: 10_000, interval: 100 })
      .toBe(200);
    expect((await cliVerify()).code).toBe(0);
    await sql.query(`DROP TABLE plugin_usage_meter_counts`);
    await expect
      .poll(async () => (await t.http().get('/health/ready')).body.problems?.plugins, {
        timeout: 10_000,
        interval: 100,
      })
      .toEqual(['plugin "usage-meter": table "plugin_usage_meter_counts" is missing']);
  });

  it('a plugin that fails to load or declares something invalid stops the start with one line naming it', async () => {
    const start = (entry: string) =>
      startServer({
        env: { NODE_ENV: 'test' },
        listen: false,
        background: false,
        overrides: { DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'silent', TENANTFLOW_PLUGINS: entry },
      });
    await expect(start('no-such-plugin-anywhere')).rejects.toThrow(
      /^plugin "no-such-plugin-anywhere": could not be loaded/,
    );
    await expect(start(fixture('invalid'))).rejects.toThrow('plugin "invalid-probe": unknown hook "onFoo"');
  });

  async function cliVerify(): Promise<{ code: number; stdout: string }> {
    const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: inject('databaseUrl'),
      TENANTFLOW_PLUGINS: 'usage-meter',
      LOG_LEVEL: 'silent',
    };
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--no-node-snapshot', cli, 'plugins:verify'], {
        env,
      });
      return { code: 0, stdout };
    } catch (e) {
      const err = e as { code?: number; stdout?: string };
      return { code: err.code ?? -1, stdout: err.stdout ?? '' };
    }
  }
});
