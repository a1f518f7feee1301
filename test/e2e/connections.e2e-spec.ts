import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createProject } from '../utils/flow-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Connections: secrets write-only in every answer (Must show 4), bad input, cross-org isolation (Must show 5, by id),
 * audit without secrets, ciphertext at rest, and the test call through the egress guard.
 */
const CANARY = 'canary-secret-7d1f0c';
const bodies: Record<string, (n: string) => Record<string, unknown>> = {
  api_key: (n) => ({ in: 'header', name: 'X-Api-Key', value: `${CANARY}-api-${n}` }),
  basic: (n) => ({ username: 'alice', password: `${CANARY}-basic-${n}` }),
  bearer: (n) => ({ token: `${CANARY}-bearer-${n}` }),
  oauth2: (n) => ({
    grantType: 'client_credentials',
    clientId: 'client',
    clientSecret: `${CANARY}-oauth-${n}`,
    tokenUrl: 'https://auth.example.test/token',
    scopes: ['read'],
  }),
  custom: (n) => ({
    fields: {
      'X-Tenant': { value: 'acme', secret: false },
      'X-Signature': { value: `${CANARY}-custom-${n}`, secret: true },
    },
  }),
};
const TYPES = Object.keys(bodies);
let seq = 0;

describe('connections', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let project: string;
  let echo: Server;
  let echoUrl: string;
  const seen: IncomingMessage[] = [];
  const as = (key: string) => bearer(key);
  const create = (key: string, type: string, extra: Record<string, unknown> = {}) =>
    t
      .http()
      .post('/api/v1/connections')
      .set(as(key))
      .send({ name: `c-${type}-${seq++}`, type, data: bodies[type](String(seq)), ...extra });
  const noCanary = (what: unknown, where: string) => expect(JSON.stringify(what ?? null), where).not.toContain(CANARY);

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    project = await createProject(t, a.ownerKey);
    echo = createServer((req, res) => {
      seen.push(req);
      const ok = req.headers['x-api-key'] || req.headers['x-signature'] || req.headers.authorization;
      res
        .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ headers: req.headers }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/check`;
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [a.id],
    );
  });
  afterAll(async () => {
    echo?.close();
    await t?.close();
  });

  it('creates every type with secrets write-only, sealed at rest, and audits without them', async () => {
    for (const type of TYPES) {
      const res = await create(a.ownerKey, type, { projectId: project }).expect(201);
      noCanary(res.body, `create ${type}`);
      expect(res.body).toMatchObject({ type, projectId: project, predefined: false });
      const got = await t.http().get(`/api/v1/connections/${res.body.id}`).set(as(a.ownerKey)).expect(200);
      expect(got.body).toEqual(res.body);
      const [row] = await t.server.deps.db.systemQuery(`SELECT settings, secret_data FROM connection WHERE id = $1`, [
        res.body.id,
      ]);
      noCanary(row.settings, 'settings column');
      expect(row.secret_data).toMatch(/^v2:/);
      expect(row.secret_data).not.toContain(CANARY);
    }
    const basic = (await create(a.ownerKey, 'basic').expect(201)).body;
    expect(basic.data).toEqual({ username: 'alice', password: { set: true } });
    const custom = (await create(a.ownerKey, 'custom').expect(201)).body;
    expect(custom.data.fields).toEqual({
      'X-Tenant': { secret: false, in: 'header', value: 'acme' },
      'X-Signature': { secret: true, in: 'header', set: true },
    });
    const audit = await t.server.deps.db.systemQuery(
      `SELECT * FROM audit_event WHERE org_id = $1 AND action LIKE 'connection.%'`,
      [a.id],
    );
    expect(audit.length).toBeGreaterThanOrEqual(TYPES.length + 2);
    noCanary(audit, 'audit');
  });

  it('patches without resending secrets, keeps them, and audits before/after without them', async () => {
    const c = (await create(a.ownerKey, 'basic', { projectId: project }).expect(201)).body;
    const patched = await t
      .http()
      .patch(`/api/v1/connections/${c.id}`)
      .set(as(a.ownerKey))
      .send({ name: 'renamed', data: { username: 'bob' } })
      .expect(200);
    expect(patched.body).toMatchObject({ name: 'renamed', data: { username: 'bob', password: { set: true } } });
    const rotated = await t
      .http()
      .patch(`/api/v1/connections/${c.id}`)
      .set(as(a.ownerKey))
      .send({ data: { password: `${CANARY}-new` } })
      .expect(200);
    noCanary(rotated.body, 'patch');
    const audit = await t.server.deps.db.systemQuery<{ action: string; metadata: unknown }>(
      `SELECT action, metadata FROM audit_event WHERE org_id = $1 AND resource_id = $2 ORDER BY seq`,
      [a.id, c.id],
    );
    expect(audit.map((e: { action: string }) => e.action)).toEqual([
      'connection.created',
      'connection.updated',
      'connection.updated',
    ]);
    expect(audit[1].metadata).toMatchObject({
      before: { name: c.name, settings: { username: 'alice' } },
      after: { name: 'renamed', settings: { username: 'bob' } },
    });
    noCanary(audit, 'audit');
    await t.http().delete(`/api/v1/connections/${c.id}`).set(as(a.ownerKey)).expect(204);
    await t.http().get(`/api/v1/connections/${c.id}`).set(as(a.ownerKey)).expect(404);
  });

  it('answers bad input with 4xx problems, never a 500', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: 'x', type: 'nope', data: {} }, 400, 'type'],
      [{ name: 'x', type: 'bearer' }, 400, 'data'],
      [{ name: 'x', type: 'bearer', data: [] }, 400, 'data'],
      [{ name: 'x', type: 'bearer', data: {} }, 400, 'data.token'],
      [{ name: 'x', type: 'bearer', data: { token: 'a\r\nb' } }, 400, 'data.token'],
      [{ name: 'x', type: 'bearer', data: { token: 't', extra: 1 } }, 400, 'data.extra'],
      [{ name: 'x', type: 'api_key', data: { in: 'cookie', name: 'k', value: 'v' } }, 400, 'data.in'],
      [{ name: 'x', type: 'api_key', data: { in: 'header', name: 'bad name', value: 'v' } }, 400, 'data.name'],
      [{ name: 'x', type: 'basic', data: { username: 'a:b', password: 'p' } }, 400, 'data.username'],
      [
        {
          name: 'x',
          type: 'oauth2',
          data: { grantType: 'password', clientId: 'c', clientSecret: 's', tokenUrl: 'https://x.test' },
        },
        400,
        'data.grantType',
      ],
      [
        {
          name: 'x',
          type: 'oauth2',
          data: { grantType: 'client_credentials', clientId: 'c', clientSecret: 's', tokenUrl: 'ftp://x.test' },
        },
        400,
        'data.tokenUrl',
      ],
      [
        {
          name: 'x',
          type: 'oauth2',
          data: { grantType: 'authorization_code', clientId: 'c', clientSecret: 's', tokenUrl: 'https://x.test' },
        },
        400,
        'data.authorizeUrl',
      ],
      [
        {
          name: 'x',
          type: 'oauth2',
          data: { grantType: 'client_credentials', clientId: 'c', clientSecret: 's', tokenUrl: 'https://u:p@x.test' },
        },
        400,
        'data.tokenUrl',
      ],
      [{ name: 'x', type: 'custom', data: { fields: {} } }, 400, 'data.fields'],
      [{ name: 'x', type: 'custom', data: { fields: { f: { value: 'v' } } } }, 400, 'data.fields.f.secret'],
      [{ name: 'x', type: 'bearer', data: { token: 't', testUrl: 'javascript:1' } }, 400, 'data.testUrl'],
      [{ name: 'x', type: 'bearer', projectId: project, predefined: true, data: { token: 't' } }, 400, 'predefined'],
      [{ name: 'x', type: 'bearer', allowedProjectIds: [project], data: { token: 't' } }, 400, 'allowedProjectIds'],
      [{ name: 'x', type: 'bearer', projectId: 'nope', data: { token: 't' } }, 400, 'projectId'],
      [{ name: '', type: 'bearer', data: { token: 't' } }, 400, 'name'],
    ];
    for (const [body, status, path] of cases) {
      const res = await t.http().post('/api/v1/connections').set(as(a.ownerKey)).send(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(JSON.stringify(res.body.errors ?? []), JSON.stringify(body)).toContain(path);
    }
    const otherProject = await createProject(t, b.ownerKey);
    expect((await create(a.ownerKey, 'bearer', { projectId: otherProject })).status).toBe(404);
    const dup = (await create(a.ownerKey, 'bearer').expect(201)).body;
    const again = await t
      .http()
      .post('/api/v1/connections')
      .set(as(a.ownerKey))
      .send({ name: dup.name, type: 'bearer', data: { token: 't' } });
    expect(again.status).toBe(409);
    await t.http().get('/api/v1/connections/not-a-uuid').set(as(a.ownerKey)).expect(404);
    await t
      .http()
      .patch(`/api/v1/connections/${dup.id}`)
      .set(as(a.ownerKey))
      .send({ data: { token: 5 } })
      .expect(400);
  });

  it("org B cannot read, change, delete or test org A's connection by id (404, like a missing one)", async () => {
    const c = (await create(a.ownerKey, 'bearer', { projectId: project }).expect(201)).body;
    for (const [method, path, body] of [
      ['get', '', undefined],
      ['patch', '', { name: 'x' }],
      ['delete', '', undefined],
      ['post', '/test', {}],
    ] as const) {
      const res = await t
        .http()
        [method](`/api/v1/connections/${c.id}${path}`)
        .set(as(b.ownerKey))
        .send(body as never);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('connection_not_found');
    }
    const list = await t.http().get('/api/v1/connections').set(as(b.ownerKey)).expect(200);
    expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
    await t.http().get(`/api/v1/connections/${c.id}`).set(as(a.ownerKey)).expect(200);
  });

  it('tests a connection against its endpoint through the egress guard, answering ok or a reason, never a secret', async () => {
    const good = (await create(a.ownerKey, 'api_key', { projectId: project }).expect(201)).body;
    await t
      .http()
      .patch(`/api/v1/connections/${good.id}`)
      .set(as(a.ownerKey))
      .send({ data: { testUrl: echoUrl } })
      .expect(200);
    const ok = await t.http().post(`/api/v1/connections/${good.id}/test`).set(as(a.ownerKey)).expect(200);
    expect(ok.body).toEqual({ ok: true });
    expect(seen.at(-1)!.headers['x-api-key']).toMatch(new RegExp(`^${CANARY}-api-`));
    const custom = (await create(a.ownerKey, 'custom', { projectId: project }).expect(201)).body;
    await t
      .http()
      .patch(`/api/v1/connections/${custom.id}`)
      .set(as(a.ownerKey))
      .send({ data: { testUrl: echoUrl } })
      .expect(200);
    expect((await t.http().post(`/api/v1/connections/${custom.id}/test`).set(as(a.ownerKey)).expect(200)).body).toEqual(
      { ok: true },
    );
    expect(seen.at(-1)!.headers['x-signature']).toMatch(new RegExp(`^${CANARY}-custom-`));
    const none = (await create(a.ownerKey, 'bearer').expect(201)).body;
    expect((await t.http().post(`/api/v1/connections/${none.id}/test`).set(as(a.ownerKey)).expect(200)).body).toEqual({
      ok: false,
      reason: 'no_test_url',
    });
    // Org B has no allowlist: the same loopback URL is refused by the egress guard.
    const bConn = (
      await t
        .http()
        .post('/api/v1/connections')
        .set(as(b.ownerKey))
        .send({ name: 'b', type: 'bearer', data: { token: `${CANARY}-b`, testUrl: echoUrl } })
        .expect(201)
    ).body;
    const refused = await t.http().post(`/api/v1/connections/${bConn.id}/test`).set(as(b.ownerKey)).expect(200);
    expect(refused.body).toEqual({ ok: false, reason: 'address_forbidden' });
    const oauth = (await create(a.ownerKey, 'oauth2').expect(201)).body;
    const failed = await t.http().post(`/api/v1/connections/${oauth.id}/test`).set(as(a.ownerKey)).expect(200);
    expect(failed.body.ok).toBe(false);
    noCanary(failed.body, 'oauth test');
  });

  it('walks every route with every role and scope: the documented outcome, and no secret in any answer', async () => {
    const keys = {
      owner: a.ownerKey,
      admin: await createKey(t, a.id, 'admin'),
      editor: await createKey(t, a.id, 'editor'),
      viewer: await createKey(t, a.id, 'viewer'),
    };
    const allowed = (role: string, action: string, scope: 'project' | 'org') =>
      role === 'owner' || role === 'admin' || action === 'read' || (role === 'editor' && scope === 'project');
    const answers: unknown[] = [];
    for (const [role, key] of Object.entries(keys)) {
      for (const scope of ['project', 'org'] as const) {
        for (const type of TYPES) {
          const extra =
            scope === 'project' ? { projectId: project } : { predefined: true, allowedProjectIds: [project] };
          const made = await create(key, type, extra);
          answers.push(made.body);
          expect(made.status, `${role} create ${scope} ${type}`).toBe(allowed(role, 'create', scope) ? 201 : 403);
          const id = made.status === 201 ? made.body.id : (await create(a.ownerKey, type, extra).expect(201)).body.id;
          const calls: [string, () => Promise<{ status: number; body: unknown }>, number][] = [
            ['read', () => t.http().get('/api/v1/connections?limit=200').set(as(key)), 200],
            ['read', () => t.http().get(`/api/v1/connections?projectId=${project}`).set(as(key)), 200],
            ['read', () => t.http().get(`/api/v1/connections/${id}`).set(as(key)), 200],
            [
              'update',
              () =>
                t
                  .http()
                  .patch(`/api/v1/connections/${id}`)
                  .set(as(key))
                  .send({ name: `r-${seq++}` }),
              200,
            ],
            [
              'update',
              () =>
                t
                  .http()
                  .patch(`/api/v1/connections/${id}`)
                  .set(as(key))
                  .send({ data: bodies[type]('patched') }),
              200,
            ],
            ['update', () => t.http().post(`/api/v1/connections/${id}/test`).set(as(key)), 200],
            // Only authorization-code connections start a browser flow (the oauth2 bodies here use client credentials).
            ['update', () => t.http().post(`/api/v1/connections/${id}/oauth2/authorize`).set(as(key)), 409],
            ['delete', () => t.http().delete(`/api/v1/connections/${id}`).set(as(key)), 204],
          ];
          for (const [action, call, success] of calls) {
            const res = await call();
            answers.push(res.body);
            expect(res.status, `${role} ${action} ${scope} ${type}`).toBe(allowed(role, action, scope) ? success : 403);
          }
        }
      }
    }
    expect(answers.length).toBeGreaterThan(200);
    noCanary(answers, 'answers');
  });
});
