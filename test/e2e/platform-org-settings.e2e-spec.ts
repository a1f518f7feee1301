import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { createKey } from '../utils/flow-helpers.js';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Issue 11: the egress allowlist and run limits are set by the platform operator only, validated and audited. */
describe('PATCH /api/v1/platform/orgs/:orgId settings', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let events: DomainEvent[];
  let internal: Server;
  let port = 0;

  const patch = (org: TestOrg | string, body: unknown, key = t.platformKey) =>
    t
      .http()
      .patch(`/api/v1/platform/orgs/${typeof org === 'string' ? org : org.id}`)
      .set(bearer(key))
      .send(body as object);
  const orgView = (key: string) =>
    t
      .http()
      .get('/api/v1/org')
      .set(bearer(key))
      .expect(200)
      .then((r) => r.body);

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    events = [];
    t.server.deps.events.subscribe(async (_em, e) => void events.push(e));
    internal = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"internal":true}'),
    );
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
    port = (internal.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => internal.close(r));
    await t.close();
  });

  it('sets, shows (to admins, read-only) and audits the allowlist and limits; other orgs are untouched', async () => {
    const res = await patch(a, {
      settings: {
        egressAllowlist: [' 10.20.0.0/16 ', 'crm.internal', '10.20.0.0/16'],
        limits: { maxSteps: 50, maxConcurrent: 3 },
      },
    }).expect(200);
    expect(res.body.settings).toEqual({
      egressAllowlist: ['10.20.0.0/16', 'crm.internal'],
      limits: { maxSteps: 50, maxConcurrent: 3 },
    });
    await patch(a, { settings: { limits: { maxConcurrent: null, maxDurationMs: 60_000 } } }).expect(200);
    const expected = {
      egressAllowlist: ['10.20.0.0/16', 'crm.internal'],
      limits: { maxSteps: 50, maxDurationMs: 60_000 },
    };
    expect((await orgView(a.ownerKey)).settings).toEqual(expected);
    expect((await orgView(await createKey(t, a.id, 'admin'))).settings).toEqual(expected);
    expect((await orgView(await createKey(t, a.id, 'viewer'))).settings).toBeUndefined();
    expect((await orgView(b.ownerKey)).settings).toEqual({ egressAllowlist: [], limits: {} });
    const audited = events.filter((e) => e.action === 'org.updated' && e.orgId === a.id).at(-1)!;
    expect(audited.metadata).toEqual({
      before: {
        status: 'active',
        name: expect.any(String),
        settings: { egressAllowlist: ['10.20.0.0/16', 'crm.internal'], limits: { maxSteps: 50, maxConcurrent: 3 } },
      },
      after: { status: 'active', name: expect.any(String), settings: expected },
    });
  });

  it.each<[string, unknown]>([
    ['metadata address', { egressAllowlist: ['169.254.169.254'] }],
    ['metadata range', { egressAllowlist: ['169.254.0.0/16'] }],
    ['everything', { egressAllowlist: ['0.0.0.0/0'] }],
    ['CGNAT range holding Alibaba metadata', { egressAllowlist: ['100.64.0.0/10'] }],
    ['IPv6 metadata', { egressAllowlist: ['fd00:ec2::254'] }],
    ['IPv6 everything', { egressAllowlist: ['::/0'] }],
    ['mapped metadata', { egressAllowlist: ['::ffff:169.254.169.254'] }],
    ['metadata host name', { egressAllowlist: ['metadata.google.internal'] }],
    ['bad CIDR', { egressAllowlist: ['10.0.0.0/33'] }],
    ['not a host', { egressAllowlist: ['not a host!'] }],
    ['numeric host', { egressAllowlist: ['127.1'] }],
    ['URL', { egressAllowlist: ['http://10.0.0.1/'] }],
    ['non-string entry', { egressAllowlist: [123] }],
    ['not a list', { egressAllowlist: '10.0.0.0/8' }],
    ['too many', { egressAllowlist: Array.from({ length: 257 }, (_, i) => `h${i}.internal`) }],
    ['zero steps', { limits: { maxSteps: 0 } }],
    ['negative', { limits: { maxConcurrent: -1 } }],
    ['fraction', { limits: { maxSteps: 1.5 } }],
    ['int32 overflow', { limits: { maxSteps: 2147483648 } }],
    ['1e300', { limits: { maxDurationMs: 1e300 } }],
    ['string number', { limits: { maxConcurrent: '5' } }],
    ['zero runs a minute', { limits: { maxRunsPerMinute: 0 } }],
    ['runs a minute as text', { limits: { maxRunsPerMinute: 'lots' } }],
    ['runs a minute too high', { limits: { maxRunsPerMinute: 10_000_001 } }],
    ['unknown limit', { limits: { maxMemory: 5 } }],
    ['limits not an object', { limits: 5 }],
    ['unknown setting', { auditRetentionDays: 1 }],
  ])('refuses %s with 400 validation_failed and changes nothing', async (_name, settings) => {
    const before = (await orgView(b.ownerKey)).settings;
    const res = await patch(b, { settings });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect((await orgView(b.ownerKey)).settings).toEqual(before);
  });

  it('org keys can never set them: the platform route refuses them and PATCH /api/v1/org refuses the fields', async () => {
    await patch(a, { settings: { egressAllowlist: ['10.0.0.0/8'] } }, a.ownerKey).expect(403);
    await patch(b, { settings: { egressAllowlist: ['10.0.0.0/8'] } }, a.ownerKey).expect(403);
    for (const body of [
      { settings: { egressAllowlist: ['10.0.0.0/8'] } },
      { status: 'active' },
      { egressAllowlist: ['10.0.0.0/8'] },
      { limits: { maxSteps: 1 } },
    ]) {
      const res = await t.http().patch('/api/v1/org').set(bearer(b.ownerKey)).send(body);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    }
    expect((await orgView(b.ownerKey)).settings).toEqual({ egressAllowlist: [], limits: {} });
    await patch('00000000-0000-7000-8000-000000000000', { settings: {} }).expect(404);
  });

  it('a change takes effect on the next run: the allowlist opens loopback, the step limit stops a run', async () => {
    const c = await t.createOrg();
    const flowId = await publishedFlow(
      t,
      c.ownerKey,
      hookFlow([
        {
          id: 'get',
          type: 'http.request',
          params: { method: 'GET', url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 },
        },
        { id: 'pick', type: 'transform', params: { fields: { internal: '{{ nodes.get.output.body.internal }}' } } },
      ]),
    );
    expect((await t.http().post(`/hooks/${flowId}`).send({})).status).toBe(502);
    await patch(c, { settings: { egressAllowlist: ['127.0.0.1'] } }).expect(200);
    const ok = await t.http().post(`/hooks/${flowId}`).send({});
    expect({ status: ok.status, output: ok.body.output }).toEqual({ status: 200, output: { internal: true } });
    await patch(c, { settings: { limits: { maxSteps: 1 } } }).expect(200);
    const limited = await t.http().post(`/hooks/${flowId}`).send({});
    expect(limited.status).toBe(502);
    expect(limited.body.error.type).toBe('limit');
  });

  it('runs per minute: an org’s budget is counted per org, answered 429 with Retry-After, and other orgs run on', async () => {
    const c = await t.createOrg();
    const d = await t.createOrg();
    const answer = hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: { ok: true } } }]);
    const flowC = await publishedFlow(t, c.ownerKey, answer);
    const flowD = await publishedFlow(t, d.ownerKey, answer);
    await patch(c, { settings: { limits: { maxRunsPerMinute: 2 } } }).expect(200);
    expect((await orgView(c.ownerKey)).settings.limits).toEqual({ maxRunsPerMinute: 2 });
    // A twelfth of the minute's budget (at least one run) in any 5 s: the second run at once is refused.
    expect((await t.http().post(`/hooks/${flowC}`).send({})).status).toBe(200);
    const refused = await t.http().post(`/hooks/${flowC}`).send({});
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 429, code: 'run_limit_reached' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.http().post(`/hooks/${flowD}`).send({})).status).toBe(200);
  });
});
