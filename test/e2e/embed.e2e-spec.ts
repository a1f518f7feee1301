import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import pg from 'pg';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import request from 'supertest';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { createKey } from '../utils/flow-helpers.js';
import { concretePath, registeredRoutes } from '../utils/routes.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

type Keys = { privateKey: CryptoKey; publicKey: CryptoKey };

describe('embedding', () => {
  let t: TestApp;
  // A second server process on the same database: token ids and key removals must hold across processes.
  let peer: ChildServer;
  let a: TestOrg;
  let b: TestOrg;
  let sql: pg.Client;
  let rsa: Keys;
  let ec: Keys;
  let other: Keys;

  const token = (keys: Keys, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({ externalProjectId: 'acme-42', role: 'editor', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1', ...header })
      .setIssuer(a.slug)
      .setSubject('ext-user-1')
      .setJti(randomUUID())
      .setExpirationTime('4m')
      .sign(keys.privateKey);
  const open = (app: TestApp | ChildServer, tok: string) =>
    ('http' in app ? app.http() : request(app.url)).post('/api/v1/embed/sessions').send({ token: tok });
  const counts = async () =>
    (
      await sql.query(
        `SELECT (SELECT count(*) FROM app_user WHERE org_id = $1)::int AS users, (SELECT count(*) FROM project WHERE org_id = $1)::int AS projects,
            (SELECT count(*) FROM app_session WHERE org_id = $1 AND method = 'embed')::int AS sessions`,
        [a.id],
      )
    ).rows[0];
  const refusals = async () =>
    (
      await sql.query(
        `SELECT reason FROM audit_event WHERE org_id = $1 AND action = 'embed.token_refused' ORDER BY seq`,
        [a.id],
      )
    ).rows.map((r) => r.reason);

  beforeAll(async () => {
    t = await createTestApp();
    peer = await startChildServer();
    [a, b] = [await t.createOrg(), await t.createOrg()];
    sql = new pg.Client({ connectionString: inject('databaseUrl') });
    await sql.connect();
    // Org A's flows may call loopback servers (set before any run reads and caches the org's settings).
    await sql.query(
      `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [a.id],
    );
    [rsa, ec, other] = [
      await generateKeyPair('RS256', { extractable: true }),
      await generateKeyPair('ES256', { extractable: true }),
      await generateKeyPair('RS256', { extractable: true }),
    ];
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(a.ownerKey))
      .send({ kid: 'rsa-1', alg: 'RS256', publicKey: await exportSPKI(rsa.publicKey) })
      .expect(201);
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(a.ownerKey))
      .send({ kid: 'ec-1', alg: 'ES256', publicKey: await exportJWK(ec.publicKey) })
      .expect(201);
    // Org B registers its own key under the same kid: it must never open sessions in org A.
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(b.ownerKey))
      .send({ kid: 'rsa-1', alg: 'RS256', publicKey: await exportSPKI(other.publicKey) })
      .expect(201);
  });

  afterAll(async () => {
    await sql?.end();
    await peer?.stop();
    await t?.close();
  });

  it('registers public keys (PEM or JWK), refuses unusable ones, and only admins manage them', async () => {
    const list = (await t.http().get('/api/v1/embed/keys').set(bearer(a.ownerKey)).expect(200)).body;
    expect(list.items.map((k: { kid: string; alg: string }) => [k.kid, k.alg])).toEqual([
      ['rsa-1', 'RS256'],
      ['ec-1', 'ES256'],
    ]);
    expect(JSON.stringify(list)).not.toMatch(/"d"|PRIVATE/);
    const weak = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const bad = [
      { kid: 'x1', alg: 'RS256', publicKey: 'not a key' },
      { kid: 'x2', alg: 'RS256', publicKey: await exportJWK(rsa.privateKey) },
      { kid: 'x3', alg: 'ES256', publicKey: await exportSPKI(rsa.publicKey) },
      { kid: 'x4', alg: 'RS256', publicKey: weak.publicKey },
      { kid: 'x5', alg: 'HS256', publicKey: 'c2VjcmV0' },
      { kid: 'x6', alg: 'RS256', publicKey: { kty: 'oct', k: 'c2VjcmV0' } },
    ];
    for (const body of bad)
      expect((await t.http().post('/api/v1/embed/keys').set(bearer(a.ownerKey)).send(body)).status, body.kid).toBe(400);
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(a.ownerKey))
      .send({ kid: 'rsa-1', alg: 'RS256', publicKey: await exportSPKI(rsa.publicKey) })
      .expect(409);
    const editor = await createKey(t, a.id, 'editor');
    await t.http().get('/api/v1/embed/keys').set(bearer(editor)).expect(403);
    await t
      .http()
      .post('/api/v1/embed/keys')
      .set(bearer(editor))
      .send({ kid: 'e', alg: 'ES256', publicKey: await exportJWK(ec.publicKey) })
      .expect(403);
  });

  it('exchanges RS256 and ES256 tokens for a project-bound session in which flows are built and run', async () => {
    const res = await open(t, await token(rsa)).expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      token: expect.stringMatching(/^tfe_/),
      role: 'editor',
      projectId: expect.any(String),
      userId: expect.any(String),
    });
    const session = res.body.token as string;
    const me = (await t.http().get('/api/v1/auth/me').set(bearer(session)).expect(200)).body;
    expect(me.principal).toMatchObject({ type: 'embed', id: res.body.userId });
    expect(me.projectRoles).toEqual([{ projectId: res.body.projectId, role: 'editor' }]);

    const flow = (
      await t
        .http()
        .post(`/api/v1/projects/${res.body.projectId}/flows`)
        .set(bearer(session))
        .send({ name: 'embedded flow' })
        .expect(201)
    ).body;
    const definition = {
      schemaVersion: 1,
      trigger: { type: 'manual' },
      nodes: [{ id: 't', type: 'transform', params: { fields: { doubled: '{{ trigger.input.n * 2 }}' } } }],
      edges: [{ from: 'trigger', to: 't' }],
    };
    const etag = (await t.http().get(`/api/v1/flows/${flow.id}/draft`).set(bearer(session)).expect(200)).headers.etag;
    await t
      .http()
      .put(`/api/v1/flows/${flow.id}/draft`)
      .set(bearer(session))
      .set('If-Match', etag)
      .send({ definition })
      .expect(200);
    await t.http().post(`/api/v1/flows/${flow.id}/publish`).set(bearer(session)).send({}).expect(201);
    const run = (
      await t
        .http()
        .post(`/api/v1/flows/${flow.id}/runs`)
        .set(bearer(session))
        .send({ input: { n: 21 }, wait: true })
        .expect(201)
    ).body;
    expect(run).toMatchObject({ status: 'succeeded', output: { doubled: 42 } });
    const audit = await sql.query(
      `SELECT actor_type, actor_id FROM audit_event WHERE org_id = $1 AND action = 'flow.published' ORDER BY seq DESC LIMIT 1`,
      [a.id],
    );
    expect(audit.rows[0]).toEqual({ actor_type: 'embed', actor_id: res.body.userId });

    // The same sub and project again (here with the ES256 key): the same user and project, a new session.
    const again = (await open(t, await token(ec, {}, { alg: 'ES256', kid: 'ec-1' })).expect(201)).body;
    expect([again.userId, again.projectId]).toEqual([res.body.userId, res.body.projectId]);
    const viewer = (await open(t, await token(rsa, { role: 'viewer', externalProjectId: 'acme-42' })).expect(201)).body;
    await t.http().get(`/api/v1/flows/${flow.id}`).set(bearer(viewer.token)).expect(200);
    await t.http().post(`/api/v1/flows/${flow.id}/publish`).set(bearer(viewer.token)).send({}).expect(403);

    await t.http().post('/api/v1/auth/logout').set(bearer(session)).expect(204);
    await t.http().get('/api/v1/auth/me').set(bearer(session)).expect(401);
  });

  it('refuses bad tokens with 401, provisions nothing, and audits the reason', async () => {
    const hs = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const fresh = { sub: `fresh-${randomUUID()}`, externalProjectId: `fresh-${randomUUID()}` };
    const replayed = await token(rsa, fresh);
    await open(t, replayed).expect(201);
    const base = await counts();
    const now = Math.floor(Date.now() / 1000);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: a.slug, sub: 's', jti: randomUUID(), exp: now + 60, role: 'editor', externalProjectId: 'p' })).toString('base64url')}.`;
    const cases: [string, string][] = [
      [
        'expired',
        await new SignJWT({ externalProjectId: 'p', role: 'editor' })
          .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
          .setIssuer(a.slug)
          .setSubject('s')
          .setJti(randomUUID())
          .setExpirationTime(now - 60)
          .sign(rsa.privateKey),
      ],
      [
        'exp_too_far',
        await new SignJWT({ externalProjectId: 'p', role: 'editor' })
          .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
          .setIssuer(a.slug)
          .setSubject('s')
          .setJti(randomUUID())
          .setExpirationTime('1h')
          .sign(rsa.privateKey),
      ],
      ['replayed', replayed],
      ['unknown_kid', await token(rsa, {}, { kid: 'nope' })],
      ['bad_signature', await token(other)],
      ['alg_not_allowed', none],
      [
        'alg_not_allowed',
        await new SignJWT({ externalProjectId: 'p', role: 'editor' })
          .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
          .setIssuer(a.slug)
          .setSubject('s')
          .setJti(randomUUID())
          .setExpirationTime('2m')
          .sign(hs),
      ],
      ['role_not_allowed', await token(rsa, { role: 'admin' })],
      ['role_not_allowed', await token(rsa, { role: 'owner' })],
      ['missing_claims', await token(rsa, { externalProjectId: undefined })],
    ];
    for (const [reason, tok] of cases) {
      const before = (await refusals()).length;
      const res = await open(t, tok);
      expect(res.status, reason).toBe(401);
      expect(res.body.code).toBe('embed_token_refused');
      expect((await refusals()).slice(before), reason).toEqual([reason]);
    }
    // A replay through a second server process is refused too (the token ids are shared, not per process).
    const once = await token(rsa, fresh);
    await open(t, once).expect(201);
    await open(peer, once).expect(401);
    // A token naming org B as issuer, signed by org A's key: B's key with that kid does not verify it.
    await open(
      t,
      await new SignJWT({ externalProjectId: 'p', role: 'editor' })
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
        .setIssuer(b.slug)
        .setSubject('s')
        .setJti(randomUUID())
        .setExpirationTime('2m')
        .sign(rsa.privateKey),
    ).expect(401);
    expect(
      (
        await sql.query(`SELECT reason FROM audit_event WHERE org_id = $1 AND action = 'embed.token_refused'`, [b.id])
      ).rows.map((r) => r.reason),
    ).toEqual(['bad_signature']);
    expect(await counts()).toEqual({ ...base, sessions: base.sessions + 1 });
  });

  it('a removed key opens nothing, at once, on every instance', async () => {
    const extra = await generateKeyPair('ES256', { extractable: true });
    const key = (
      await t
        .http()
        .post('/api/v1/embed/keys')
        .set(bearer(a.ownerKey))
        .send({ kid: 'temp', alg: 'ES256', publicKey: await exportJWK(extra.publicKey) })
        .expect(201)
    ).body;
    const sign = () => token(extra, {}, { alg: 'ES256', kid: 'temp' });
    await open(peer, await sign()).expect(201);
    await t.http().delete(`/api/v1/embed/keys/${key.id}`).set(bearer(a.ownerKey)).expect(204);
    await open(peer, await sign()).expect(401);
    await open(t, await sign()).expect(401);
  });

  it('an embedded session gets 403 or 404 on every route outside its project', async () => {
    const session = (await open(t, await token(rsa, { externalProjectId: 'walker' })).expect(201)).body;
    const own = session.projectId as string;
    const otherProject = (
      await t
        .http()
        .post('/api/v1/projects')
        .set(bearer(a.ownerKey))
        .send({ name: `outside-${Date.now()}` })
        .expect(201)
    ).body.id;
    const otherFlow = (
      await t
        .http()
        .post(`/api/v1/projects/${otherProject}/flows`)
        .set(bearer(a.ownerKey))
        .send({ name: 'not yours' })
        .expect(201)
    ).body.id;
    // Collections an embedded session may use are filtered to its project (checked below), and it may ask about itself.
    const allowedOwn = new Set([
      'GET /api/v1/connections',
      'POST /api/v1/connections',
      'POST /api/v1/authz/check',
      'GET /api/v1/projects',
      'GET /api/v1/auth/me',
      'POST /api/v1/auth/logout',
      'GET /api/v1/projects/:projectId',
      'GET /api/v1/projects/:projectId/flows',
      'POST /api/v1/projects/:projectId/flows',
    ]);
    const seen: string[] = [];
    for (const r of registeredRoutes(t.server).filter((x) => !x.public && x.path.startsWith('/api/'))) {
      const name = `${r.method} ${r.path}`;
      if (name === 'POST /api/v1/auth/logout') continue;
      // Routes naming a project are tried with another project of the org; the rest with an unknown id.
      const path =
        concretePath(r.path.replace(':projectId', otherProject).replace(':flowId', otherFlow)) +
        (r.path.endsWith('/diff') ? '?from=1&to=draft' : '');
      const body = name === 'POST /api/v1/projects/:projectId/flows' ? { name: 'walker' } : {};
      const res = await t.http()[r.method.toLowerCase() as 'get'](path).set(bearer(session.token)).send(body);
      if (allowedOwn.has(name) && !r.path.includes(':projectId')) continue;
      // A body the route cannot take is refused (400) before the resource is looked up, the same for any id:
      // only reads, which need no body, must be 403 or 404 to the letter.
      expect(r.method === 'GET' ? [403, 404] : [400, 403, 404], `${name} answered ${res.status}`).toContain(res.status);
      seen.push(name);
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        'GET /api/v1/users',
        'POST /api/v1/api-keys',
        'GET /api/v1/roles',
        'GET /api/v1/org',
        'GET /api/v1/audit-events',
        'GET /api/v1/embed/keys',
        'PUT /api/v1/sso/oidc',
      ]),
    );
    // Inside its own project it works.
    await t.http().get(`/api/v1/projects/${own}`).set(bearer(session.token)).expect(200);
    const list = (await t.http().get('/api/v1/projects').set(bearer(session.token)).expect(200)).body.items.map(
      (p: { id: string }) => p.id,
    );
    expect(list).toEqual([own]);
    // Connections: none of another project; creating one there is refused.
    await t
      .http()
      .post('/api/v1/connections')
      .set(bearer(a.ownerKey))
      .send({ name: 'elsewhere', type: 'bearer', projectId: otherProject, data: { token: 'x' } })
      .expect(201);
    const conns = (await t.http().get('/api/v1/connections').set(bearer(session.token)).expect(200)).body.items;
    expect(conns.filter((c: { projectId: string | null }) => c.projectId !== own)).toEqual([]);
    const made = await t
      .http()
      .post('/api/v1/connections')
      .set(bearer(session.token))
      .send({ name: 'x', type: 'bearer', projectId: otherProject, data: { token: 'x' } });
    expect([403, 404]).toContain(made.status);
  });

  it('predefined connections: usable by embedded flows, listed as metadata, never read, changed or deleted there', async () => {
    const seen: string[] = [];
    const echo: Server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ echoed: req.headers.authorization }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    try {
      const secret = `predefined-canary-${randomUUID()}`;
      const predefined = (
        await t
          .http()
          .post('/api/v1/connections')
          .set(bearer(a.ownerKey))
          .send({ name: `vendor-api-${Date.now()}`, type: 'bearer', predefined: true, data: { token: secret } })
          .expect(201)
      ).body;
      const internal = (
        await t
          .http()
          .post('/api/v1/connections')
          .set(bearer(a.ownerKey))
          .send({ name: `internal-${Date.now()}`, type: 'bearer', data: { token: 'internal' } })
          .expect(201)
      ).body;
      const session = (await open(t, await token(rsa, { externalProjectId: `customer-${randomUUID()}` })).expect(201))
        .body;
      const listed = (await t.http().get('/api/v1/connections').set(bearer(session.token)).expect(200)).body.items;
      expect(listed.map((c: { id: string }) => c.id)).toEqual([predefined.id]);
      expect(JSON.stringify(listed)).not.toContain(secret);
      await t.http().get(`/api/v1/connections/${predefined.id}`).set(bearer(session.token)).expect(404);
      await t
        .http()
        .patch(`/api/v1/connections/${predefined.id}`)
        .set(bearer(session.token))
        .send({ name: 'mine' })
        .expect(404);
      await t.http().delete(`/api/v1/connections/${predefined.id}`).set(bearer(session.token)).expect(404);

      const url = `http://127.0.0.1:${(echo.address() as { port: number }).port}/call`;
      const def = (connectionId: string) => ({
        schemaVersion: 1,
        trigger: { type: 'manual' },
        nodes: [{ id: 'call', type: 'http.request', params: { method: 'GET', url, connectionId } }],
        edges: [{ from: 'trigger', to: 'call' }],
      });
      const flow = (
        await t
          .http()
          .post(`/api/v1/projects/${session.projectId}/flows`)
          .set(bearer(session.token))
          .send({ name: 'uses vendor api' })
          .expect(201)
      ).body;
      const save = async (d: unknown) => {
        const etag = (await t.http().get(`/api/v1/flows/${flow.id}/draft`).set(bearer(session.token)).expect(200))
          .headers.etag;
        await t
          .http()
          .put(`/api/v1/flows/${flow.id}/draft`)
          .set(bearer(session.token))
          .set('If-Match', etag)
          .send({ definition: d })
          .expect(200);
      };
      // An org connection that is not predefined is not usable in an embedded project.
      await save(def(internal.id));
      await t.http().post(`/api/v1/flows/${flow.id}/publish`).set(bearer(session.token)).send({}).expect(422);
      await save(def(predefined.id));
      await t.http().post(`/api/v1/flows/${flow.id}/publish`).set(bearer(session.token)).send({}).expect(201);
      const run = (
        await t
          .http()
          .post(`/api/v1/flows/${flow.id}/runs`)
          .set(bearer(session.token))
          .send({ input: {}, wait: true })
          .expect(201)
      ).body;
      expect(run.status, JSON.stringify(run)).toBe('succeeded');
      expect(seen).toEqual([`Bearer ${secret}`]);
      const detail = (await t.http().get(`/api/v1/runs/${run.runId}`).set(bearer(session.token)).expect(200)).body;
      expect(JSON.stringify(detail)).not.toContain(secret);
    } finally {
      echo.close();
    }
  });

  it("answers CORS only for the org's allowed origins, only on embed routes", async () => {
    await t
      .http()
      .put('/api/v1/embed/settings')
      .set(bearer(a.ownerKey))
      .send({ allowedOrigins: ['https://host.example'] })
      .expect(200);
    await t
      .http()
      .put('/api/v1/embed/settings')
      .set(bearer(a.ownerKey))
      .send({ allowedOrigins: ['javascript:alert(1)'] })
      .expect(400);
    const preflight = (origin: string, path: string) =>
      t
        .http()
        .options(path)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
    const ok = await preflight('https://host.example', '/api/v1/embed/sessions');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://host.example');
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    expect(
      (await preflight('https://evil.example', '/api/v1/embed/sessions')).headers['access-control-allow-origin'],
    ).toBeUndefined();
    expect(
      (await preflight('https://host.example', '/api/v1/users')).headers['access-control-allow-origin'],
    ).toBeUndefined();

    const opened = await open(t, await token(rsa))
      .set('Origin', 'https://host.example')
      .expect(201);
    expect(opened.headers['access-control-allow-origin']).toBe('https://host.example');
    const session = opened.body.token as string;
    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set(bearer(session))
      .set('Origin', 'https://host.example')
      .expect(200);
    expect(me.headers['access-control-allow-origin']).toBe('https://host.example');
    const evil = await t
      .http()
      .get('/api/v1/auth/me')
      .set(bearer(session))
      .set('Origin', 'https://evil.example')
      .expect(200);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const notEmbed = await t
      .http()
      .get('/api/v1/users')
      .set(bearer(a.ownerKey))
      .set('Origin', 'https://host.example')
      .expect(200);
    expect(notEmbed.headers['access-control-allow-origin']).toBeUndefined();
  });
});
