import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/modules/identity/index.js';
import { concretePath, registeredRoutes, type RegisteredRoute } from '../utils/routes.js';
import { userSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp } from '../utils/test-app.js';

/**
 * Must-show 1: walks every route the application registers (Nest's controllers cross-checked with Express's
 * router, so routes added later are walked without editing this test) and proves each non-public one answers 401
 * with no credential, with a revoked API key and with a revoked session cookie.
 */
describe('every non-public route refuses missing and revoked credentials', () => {
  let t: TestApp;
  let routes: RegisteredRoute[];
  let revokedKey: string;
  let revokedCookie: string;

  beforeAll(async () => {
    // Failed authentications would otherwise hit the per-address limit (429) long before the walk ends.
    t = await createTestApp({ TENANTFLOW_AUTH_FAILURE_LIMIT: '100000' });
    const org = await t.createOrg();
    const created = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'to revoke', role: 'admin' })
      .expect(201);
    await t.http().get('/api/v1/org').set(bearer(created.body.key)).expect(200);
    await t.http().delete(`/api/v1/api-keys/${created.body.id}`).set(bearer(org.ownerKey)).expect(204);
    revokedKey = created.body.key;
    const session = await userSession(t, org.id, 'owner');
    await t.http().post('/api/v1/auth/logout').set(session.headers).expect(204);
    revokedCookie = `${SESSION_COOKIE}=${session.token}`;
    routes = registeredRoutes(t.server);
  });
  afterAll(() => t.close());

  const guarded = () => routes.filter((r) => !r.public);
  const send = (r: RegisteredRoute, headers: Record<string, string>) => {
    const req = t.http()[r.method.toLowerCase() as 'get'](concretePath(r.path)).set(headers);
    return ['POST', 'PUT', 'PATCH'].includes(r.method) ? req.send({}) : req;
  };

  it("finds the routes, including this issue's and the foundation's", () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'GET /api/v1/projects',
      'POST /api/v1/api-keys',
      'POST /api/v1/api-keys/:keyId/rotate',
      'DELETE /api/v1/users/:userId',
      'PUT /api/v1/projects/:projectId/members/:userId',
      'PATCH /api/v1/roles/:roleId',
      'GET /api/v1/auth/me',
      'POST /api/v1/authz/check',
      'PATCH /api/v1/platform/orgs/:orgId',
    ])
      expect(names).toContain(expected);
    expect(routes.find((r) => r.path === '/health/live')?.public).toBe(true);
    expect(guarded().length).toBeGreaterThanOrEqual(30);
  });

  it('no credential: 401 on every non-public route', async () => {
    for (const r of guarded()) {
      const res = await send(r, {});
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect(res.body.code, `${r.method} ${r.path}`).toBe('unauthenticated');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('a revoked API key: 401 on every non-public route', async () => {
    for (const r of guarded()) {
      const res = await send(r, bearer(revokedKey));
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect(res.body.code).toBe('unauthenticated');
    }
  });

  it('a revoked session cookie (with its CSRF token): 401 on every non-public route', async () => {
    for (const r of guarded()) {
      const res = await send(r, { Cookie: revokedCookie, 'X-CSRF-Token': 'irrelevant' });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
    }
  });

  it('every guarded route is in the OpenAPI document and declares the bearer credential (a session only on org routes)', async () => {
    const doc = (await t.http().get('/docs/openapi.json').expect(200)).body;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    const problems: string[] = [];
    for (const r of guarded()) {
      const op = doc.paths[r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[r.method.toLowerCase()];
      const name = `${r.method} ${r.path}`;
      if (!op) {
        problems.push(`${name}: not documented`);
        continue;
      }
      const schemes = ((op.security ?? []) as Record<string, unknown>[]).flatMap((requirement) =>
        Object.keys(requirement),
      );
      if (!schemes.includes('bearer')) problems.push(`${name}: no bearer credential declared`);
      if (r.platform && schemes.includes('session')) problems.push(`${name}: a platform route declares a session`);
    }
    expect(problems).toEqual([]);
  });

  it('public routes are only those API.md makes public', () => {
    // Operations, browser sign-in flows, webhook triggers and the embed token exchange authenticate by their own rules.
    const allowed = /^\/(health|metrics|docs)(\/|$)|^\/auth\/:orgSlug\/|^\/hooks\/|^\/api\/v1\/embed\/sessions$/;
    for (const r of routes.filter((x) => x.public)) expect(r.path, `${r.method} ${r.path}`).toMatch(allowed);
  });
});
