import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleDefinition } from '../utils/flow-helpers.js';
import { finishedRun, hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

async function listen(
  host: string,
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('hostile input end to end: the run fails typed, the server stays healthy', () => {
  let t: TestApp;
  let bombs: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_SANDBOX_TIMEOUT: '300', TENANTFLOW_SANDBOX_MEMORY_MB: '32' });
    a = await t.createOrg();
    // Memory bombs get a long clock and a small heap, so only the heap can stop them: under a 300 ms budget (which
    // also covers context creation) a loaded machine would answer "timeout" instead.
    bombs = await createTestApp({ TENANTFLOW_SANDBOX_TIMEOUT: '120000', TENANTFLOW_SANDBOX_MEMORY_MB: '32' });
    b = await bombs.createOrg();
  });
  afterAll(async () => {
    await bombs.close();
    await t.close();
  });

  const cases: [string, string, string, () => [TestApp, TestOrg]][] = [
    ['an endless loop', 'while (true) {}', 'timeout', () => [t, a]],
    ['an endless async loop', 'await null; for (;;) {}', 'timeout', () => [t, a]],
    ['a memory bomb', 'const a = []; for (;;) a.push(new Array(1e6).fill(Math.random()));', 'memory', () => [bombs, b]],
    // V8 aborts the whole process on this one (catastrophic OOM); the sandbox's host process takes the hit.
    ['a Set memory bomb', 'const s = new Set(); for (let i = 0; ; i++) s.add("k" + i);', 'memory', () => [bombs, b]],
    ['a thrown error', 'throw new Error("boom")', 'user_error', () => [t, a]],
    ['host access', 'return process.env', 'user_error', () => [t, a]],
    ['a constructor escape', 'return this.constructor.constructor("return process")().env', 'user_error', () => [t, a]],
  ];

  for (const [name, code, type, where] of cases) {
    it(`${name} through a webhook: 502 run_failed ${type}, then the next run works`, async () => {
      const [app, org] = where();
      const hostile = await publishedFlow(
        app,
        org.ownerKey,
        hookFlow([{ id: 'evil', type: 'code', params: { code } }]),
      );
      const res = await app.http().post(`/hooks/${hostile}`).send({}).expect(502);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('run_failed');
      expect(res.body.error.type).toBe(type);
      expect(res.body.runId).toBeDefined();
      await app.http().get('/health/live').expect(200);
      const good = await publishedFlow(app, org.ownerKey, exampleDefinition());
      expect((await app.http().post(`/hooks/${good}`).send({ a: 1, b: 2 }).expect(200)).body).toEqual({ doubled: 6 });
    }, 180_000);
  }

  it('a hostile expression fails its manual run with a typed error; pollution never reaches the next run', async () => {
    const polluter = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        {
          id: 'c',
          type: 'code',
          params: {
            code: 'Object.prototype.polluted = "yes"; Array.prototype.push = null; globalThis.leak = 1; return 1;',
          },
        },
      ]),
    );
    // Built-in prototypes are frozen (SES lockdown): the polluter itself fails, typed, and changes nothing.
    const polluted = await t.http().post(`/hooks/${polluter}`).send({}).expect(502);
    expect(polluted.body.error).toMatchObject({ type: 'user_error', message: expect.stringContaining('TypeError') });
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 't', type: 'transform', params: { fields: { x: '{{ (() => { while (true) {} })() }}' } } }]),
    );
    const res = await t
      .http()
      .post(`/api/v1/flows/${flowId}/runs`)
      .set(bearer(a.ownerKey))
      .send({ wait: true })
      .expect(201);
    expect(res.body).toMatchObject({ status: 'failed', error: { type: 'timeout', nodeId: 't' } });
    const probe = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        {
          id: 'c',
          type: 'code',
          params: {
            code: 'const a = []; a.push(1); return { polluted: ({}).polluted ?? null, leak: typeof leak, n: a.length };',
          },
        },
      ]),
    );
    expect((await t.http().post(`/hooks/${probe}`).send({}).expect(200)).body.output).toEqual({
      polluted: null,
      leak: 'undefined',
      n: 1,
    });
  });

  it('a later run, of the same flow or another, sees no global an earlier run set; Date and Math.random work', async () => {
    const code =
      'const seen = typeof globalThis.left; globalThis.left = 1; return { seen, now: Date.now() > 0, random: Math.random() < 1 };';
    const flowId = await publishedFlow(t, a.ownerKey, hookFlow([{ id: 'c', type: 'code', params: { code } }]));
    const other = await publishedFlow(t, a.ownerKey, hookFlow([{ id: 'c', type: 'code', params: { code } }]));
    for (const id of [flowId, flowId, other]) {
      expect((await t.http().post(`/hooks/${id}`).send({}).expect(200)).body.output).toEqual({
        seen: 'undefined',
        now: true,
        random: true,
      });
    }
  });
});

describe('SSRF end to end through http.request nodes', () => {
  let t: TestApp;
  let c: TestOrg;
  let victim: Awaited<ReturnType<typeof listen>>;
  let redirector: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    t = await createTestApp();
    c = await t.createOrg();
    victim = await listen('127.0.0.1', (_req, res) => res.end('secret internal data'));
    redirector = await listen('127.0.0.2', (req, res) => {
      if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"fine":true}');
      else res.writeHead(302, { location: `http://127.0.0.1:${victim.port}/admin` }).end();
    });
    // The org allowlists only the redirector, so its redirect to loopback must still be refused.
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.2/32')) WHERE id = $1`,
      [c.id],
    );
  });
  afterAll(async () => {
    await t.close();
    victim.server.close();
    redirector.server.close();
  });

  it('refuses loopback, private, link-local and metadata targets in every encoding; the listener sees nothing', async () => {
    const p = victim.port;
    const urls = [
      `http://127.0.0.1:${p}/`,
      `http://localhost:${p}/`,
      `http://[::1]:${p}/`,
      `http://2130706433:${p}/`,
      `http://0177.0.0.1:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://127.1:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://10.0.0.1:${p}/`,
      `http://172.16.0.1:${p}/`,
      `http://192.168.1.1:${p}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/',
      `http://0.0.0.0:${p}/`,
      `http://127.0.0.2:${redirector.port}/go`,
    ];
    for (const url of urls) {
      const flowId = await publishedFlow(
        t,
        c.ownerKey,
        hookFlow([{ id: 'get', type: 'http.request', params: { method: 'GET', url, timeoutMs: 2000 } }]),
      );
      const res = await t.http().post(`/hooks/${flowId}`).send({}).expect(502);
      expect(res.body.error.type, url).toBe('node_error');
      expect(res.body.error.message, url).toMatch(/refused|forbidden/);
      const run = await finishedRun(t, c.ownerKey, res.body.runId);
      expect(run.steps[0].error.type).toBe('node_error');
    }
    expect(victim.hits).toEqual([]);
    expect(redirector.hits).toEqual(['GET /go']);
    expect(victim.hits).toEqual([]);
  });

  it('reaches an allowlisted address (the guard is not simply closed)', async () => {
    const flowId = await publishedFlow(
      t,
      c.ownerKey,
      hookFlow([
        { id: 'get', type: 'http.request', params: { method: 'GET', url: `http://127.0.0.2:${redirector.port}/ok` } },
      ]),
    );
    const res = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(res.body.output).toMatchObject({ status: 200, body: { fine: true } });
  });
});
