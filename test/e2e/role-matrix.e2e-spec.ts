import { readFileSync } from 'node:fs';
import type { Response, Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../utils/routes.js';
import { createUser, openSession, userSession, type TestSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Must-show 3: for each built-in role and each route of the matrix groups, allowed or 403 exactly as the table in
 * docs/roles.md says (the table is parsed from the document), then a custom role and project roles change the
 * outcome as that document describes.
 */
const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
type Role = (typeof ROLES)[number];
type Cell = 'yes' | 'no' | 'own';

function documentedMatrix(): Map<string, Record<Role, Cell>> {
  const doc = readFileSync(new URL('../../docs/roles.md', import.meta.url), 'utf8');
  const rows = new Map<string, Record<Role, Cell>>();
  for (const line of doc.split('\n')) {
    const m =
      /^\| `((?:GET|POST|PUT|PATCH|DELETE) \/api\/v1\/[^`]+)` \| (yes|no|own) \| (yes|no|own) \| (yes|no|own) \| (yes|no|own) \|$/.exec(
        line,
      );
    if (m) rows.set(m[1], { owner: m[2] as Cell, admin: m[3] as Cell, editor: m[4] as Cell, viewer: m[5] as Cell });
  }
  return rows;
}

/** The matrix's route groups: org, users, roles, projects, project members, api-keys, auth, authz, secret providers and connections. */
const GROUPS =
  /^\/api\/v1\/(org|users(\/:userId)?|roles(\/:roleId)?|projects(\/:projectId(\/members(\/:userId)?)?)?|api-keys(\/:keyId(\/rotate)?)?|auth\/(me|logout)|authz\/check|secret-providers(\/:name(\/test)?)?|connections(\/:connectionId(\/test)?)?)$/;

describe('the documented role matrix', () => {
  let t: TestApp;
  let org: TestOrg;
  const actors = {} as Record<Role, TestSession>;
  const matrix = documentedMatrix();
  const owner = () => bearer(org.ownerKey);
  const as = (req: Test, s: TestSession) => req.set(s.headers);
  const created = async (req: Test) => (await req.set(owner()).expect((r) => expect(r.status).toBeLessThan(300))).body;
  const project = () =>
    created(
      t
        .http()
        .post('/api/v1/projects')
        .send({ name: `m-${Date.now()}-${Math.random()}` }),
    );
  const role = () =>
    created(
      t
        .http()
        .post('/api/v1/roles')
        .send({
          name: `m-${Date.now()}-${Math.random()}`.replace('0.', ''),
          permissions: [{ action: 'read', subject: 'Flow' }],
        }),
    );
  const viewerUser = () => createUser(t, org.id, 'viewer');
  const provider = () => `m${Date.now()}${Math.random()}`.replace('0.', '');
  const ownedProvider = async () => {
    const name = provider();
    await created(t.http().put(`/api/v1/secret-providers/${name}`).send({ type: 'env', config: {} }));
    return name;
  };
  const connectionBody = (projectId: string) => ({
    name: `c-${Date.now()}-${Math.random()}`,
    type: 'bearer',
    projectId,
    data: { token: 'matrix-token' },
  });
  const connection = async () =>
    created(
      t
        .http()
        .post('/api/v1/connections')
        .send(connectionBody((await project()).id)),
    );
  /** Someone else's key, or (for `own` cells) the actor's own. */
  const key = async (s: TestSession, own: boolean) =>
    own
      ? (await as(t.http().post('/api/v1/api-keys'), s).send({ name: 'own', role: 'viewer' }).expect(201)).body
      : created(t.http().post('/api/v1/api-keys').send({ name: 'theirs', role: 'viewer' }));

  /** One request per documented route, made by `s`; fixtures are fresh so destructive calls can succeed. */
  const REQUESTS: Record<string, (s: TestSession, own: boolean) => Promise<Response>> = {
    'GET /api/v1/org': async (s) => as(t.http().get('/api/v1/org'), s),
    'PATCH /api/v1/org': async (s) => as(t.http().patch('/api/v1/org'), s).send({ name: org.slug }),
    'GET /api/v1/users': async (s) => as(t.http().get('/api/v1/users'), s),
    'GET /api/v1/users/:userId': async (s) => as(t.http().get(`/api/v1/users/${await viewerUser()}`), s),
    'POST /api/v1/users': async (s) =>
      as(t.http().post('/api/v1/users'), s).send({
        email: `m${Date.now()}${Math.random()}@m.test`.replace('0.', ''),
        role: 'viewer',
      }),
    'PATCH /api/v1/users/:userId': async (s) =>
      as(t.http().patch(`/api/v1/users/${await viewerUser()}`), s).send({ displayName: 'Renamed' }),
    'DELETE /api/v1/users/:userId': async (s) => as(t.http().delete(`/api/v1/users/${await viewerUser()}`), s),
    'GET /api/v1/roles': async (s) => as(t.http().get('/api/v1/roles'), s),
    'GET /api/v1/roles/:roleId': async (s) => as(t.http().get(`/api/v1/roles/${(await role()).id}`), s),
    'POST /api/v1/roles': async (s) =>
      as(t.http().post('/api/v1/roles'), s).send({
        name: `r${Date.now()}${Math.random()}`.replace('0.', ''),
        permissions: [{ action: 'read', subject: 'Flow' }],
      }),
    'PATCH /api/v1/roles/:roleId': async (s) =>
      as(t.http().patch(`/api/v1/roles/${(await role()).id}`), s).send({ description: 'changed' }),
    'DELETE /api/v1/roles/:roleId': async (s) => as(t.http().delete(`/api/v1/roles/${(await role()).id}`), s),
    'GET /api/v1/projects': async (s) => as(t.http().get('/api/v1/projects'), s),
    'GET /api/v1/projects/:projectId': async (s) => as(t.http().get(`/api/v1/projects/${(await project()).id}`), s),
    'POST /api/v1/projects': async (s) =>
      as(t.http().post('/api/v1/projects'), s).send({ name: `p${Date.now()}${Math.random()}` }),
    'PATCH /api/v1/projects/:projectId': async (s) =>
      as(t.http().patch(`/api/v1/projects/${(await project()).id}`), s).send({ description: 'changed' }),
    'DELETE /api/v1/projects/:projectId': async (s) =>
      as(t.http().delete(`/api/v1/projects/${(await project()).id}`), s),
    'GET /api/v1/projects/:projectId/members': async (s) =>
      as(t.http().get(`/api/v1/projects/${(await project()).id}/members`), s),
    'PUT /api/v1/projects/:projectId/members/:userId': async (s) =>
      as(t.http().put(`/api/v1/projects/${(await project()).id}/members/${await viewerUser()}`), s).send({
        role: 'editor',
      }),
    'DELETE /api/v1/projects/:projectId/members/:userId': async (s) => {
      const p = (await project()).id;
      const u = await viewerUser();
      await t.http().put(`/api/v1/projects/${p}/members/${u}`).set(owner()).send({ role: 'editor' }).expect(200);
      return as(t.http().delete(`/api/v1/projects/${p}/members/${u}`), s);
    },
    'GET /api/v1/api-keys': async (s) => as(t.http().get('/api/v1/api-keys'), s),
    'POST /api/v1/api-keys': async (s) => as(t.http().post('/api/v1/api-keys'), s).send({ name: 'm', role: 'viewer' }),
    'GET /api/v1/api-keys/:keyId': async (s, own) => as(t.http().get(`/api/v1/api-keys/${(await key(s, own)).id}`), s),
    'PATCH /api/v1/api-keys/:keyId': async (s, own) =>
      as(t.http().patch(`/api/v1/api-keys/${(await key(s, own)).id}`), s).send({ name: 'renamed' }),
    'POST /api/v1/api-keys/:keyId/rotate': async (s, own) =>
      as(t.http().post(`/api/v1/api-keys/${(await key(s, own)).id}/rotate`), s).send({}),
    'DELETE /api/v1/api-keys/:keyId': async (s, own) =>
      as(t.http().delete(`/api/v1/api-keys/${(await key(s, own)).id}`), s),
    'GET /api/v1/auth/me': async (s) => as(t.http().get('/api/v1/auth/me'), s),
    'POST /api/v1/auth/logout': async (s) =>
      as(t.http().post('/api/v1/auth/logout'), await openSession(t, org.id, s.userId)),
    'POST /api/v1/authz/check': async (s) =>
      as(t.http().post('/api/v1/authz/check'), s).send({ action: 'read', subject: 'Project' }),
    'GET /api/v1/secret-providers': async (s) => as(t.http().get('/api/v1/secret-providers'), s),
    'PUT /api/v1/secret-providers/:name': async (s) =>
      as(t.http().put(`/api/v1/secret-providers/${provider()}`), s).send({ type: 'env', config: {} }),
    'DELETE /api/v1/secret-providers/:name': async (s) =>
      as(t.http().delete(`/api/v1/secret-providers/${await ownedProvider()}`), s),
    'POST /api/v1/secret-providers/:name/test': async (s) =>
      as(t.http().post(`/api/v1/secret-providers/${await ownedProvider()}/test`), s).send({}),
    // Connection cells are for project connections (org connections: owner and admin only, see the note).
    'GET /api/v1/connections': async (s) => as(t.http().get('/api/v1/connections'), s),
    'POST /api/v1/connections': async (s) =>
      as(t.http().post('/api/v1/connections'), s).send(connectionBody((await project()).id)),
    'GET /api/v1/connections/:connectionId': async (s) =>
      as(t.http().get(`/api/v1/connections/${(await connection()).id}`), s),
    'PATCH /api/v1/connections/:connectionId': async (s) =>
      as(t.http().patch(`/api/v1/connections/${(await connection()).id}`), s).send({ name: `n${Math.random()}` }),
    'DELETE /api/v1/connections/:connectionId': async (s) =>
      as(t.http().delete(`/api/v1/connections/${(await connection()).id}`), s),
    'POST /api/v1/connections/:connectionId/test': async (s) =>
      as(t.http().post(`/api/v1/connections/${(await connection()).id}/test`), s),
  };

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    for (const r of ROLES) actors[r] = await userSession(t, org.id, r);
  });
  afterAll(() => t.close());

  it('documents every route of the matrix groups, and the test knows how to call each', () => {
    expect(matrix.size).toBeGreaterThanOrEqual(29);
    const routes = registeredRoutes(t.server)
      .filter((r) => !r.public && GROUPS.test(r.path))
      .map((r) => `${r.method} ${r.path}`);
    expect(
      routes.filter((r) => !matrix.has(r)),
      'routes missing from docs/roles.md',
    ).toEqual([]);
    expect(
      [...matrix.keys()].filter((r) => !REQUESTS[r]),
      'documented routes this test cannot call',
    ).toEqual([]);
  });

  for (const r of ROLES) {
    it(`${r}: every route is allowed or 403 exactly as documented`, async () => {
      const mismatches: string[] = [];
      for (const [route, cells] of matrix) {
        const cell = cells[r];
        const res = await REQUESTS[route](actors[r], cell === 'own');
        const ok =
          cell === 'no' ? res.status === 403 && res.body.code === 'forbidden' : res.status >= 200 && res.status < 300;
        if (!ok) mismatches.push(`${route}: documented ${cell}, got ${res.status} ${res.body?.code ?? ''}`);
        if (cell === 'own' && route.includes(':keyId')) {
          const other = await REQUESTS[route](actors[r], false);
          if (other.status !== 404) mismatches.push(`${route}: another user's key should be 404, got ${other.status}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('a custom role changes the outcome as documented ("key auditor")', async () => {
    const custom = (
      await t
        .http()
        .post('/api/v1/roles')
        .set(owner())
        .send({
          name: 'key auditor',
          permissions: [
            { action: 'read', subject: 'User' },
            { action: 'read', subject: 'ApiKey' },
          ],
        })
        .expect(201)
    ).body;
    const s = await userSession(t, org.id, custom.id);
    const someoneElses = await key(actors.admin, false);
    await t.http().get('/api/v1/users').set(s.cookie).expect(200);
    const keys = await t.http().get('/api/v1/api-keys?limit=200').set(s.cookie).expect(200);
    expect(keys.body.items.map((k: { id: string }) => k.id)).toContain(someoneElses.id);
    await t.http().get('/api/v1/projects').set(s.cookie).expect(403);
    await t
      .http()
      .post('/api/v1/users')
      .set(s.headers)
      .send({ email: `ka${Date.now()}@m.test`, role: 'viewer' })
      .expect(403);
    await t.http().post('/api/v1/api-keys').set(s.headers).send({ name: 'x', role: 'viewer' }).expect(403);
    await t.http().get('/api/v1/org').set(s.cookie).expect(200); // every member reads its own org
    // Editing the role changes what its holders may do within a second.
    await t
      .http()
      .patch(`/api/v1/roles/${custom.id}`)
      .set(owner())
      .send({ permissions: [{ action: 'read', subject: 'Project' }] })
      .expect(200);
    await t.http().get('/api/v1/projects').set(s.cookie).expect(200);
    await t.http().get('/api/v1/users').set(s.cookie).expect(403);
  });

  it('project roles override the org role inside their project, in both directions', async () => {
    const p = (await project()).id;
    const q = (await project()).id;
    const viewer = await userSession(t, org.id, 'viewer');
    await t
      .http()
      .put(`/api/v1/projects/${p}/members/${viewer.userId}`)
      .set(owner())
      .send({ role: 'admin' })
      .expect(200);
    await t
      .http()
      .patch(`/api/v1/projects/${p}`)
      .set(viewer.headers)
      .send({ description: 'by project admin' })
      .expect(200);
    await t
      .http()
      .put(`/api/v1/projects/${p}/members/${await viewerUser()}`)
      .set(viewer.headers)
      .send({ role: 'editor' })
      .expect(200);
    await t.http().patch(`/api/v1/projects/${q}`).set(viewer.headers).send({ description: 'x' }).expect(403);
    await t
      .http()
      .post('/api/v1/projects')
      .set(viewer.headers)
      .send({ name: `nope-${Date.now()}` })
      .expect(403);
    await t
      .http()
      .post('/api/v1/users')
      .set(viewer.headers)
      .send({ email: `pv${Date.now()}@m.test`, role: 'viewer' })
      .expect(403);

    const admin = await userSession(t, org.id, 'admin');
    await t
      .http()
      .put(`/api/v1/projects/${p}/members/${admin.userId}`)
      .set(owner())
      .send({ role: 'viewer' })
      .expect(200);
    await t.http().patch(`/api/v1/projects/${p}`).set(admin.headers).send({ description: 'x' }).expect(403);
    await t.http().get(`/api/v1/projects/${p}`).set(admin.cookie).expect(200);
    await t.http().patch(`/api/v1/projects/${q}`).set(admin.headers).send({ description: 'by org admin' }).expect(200);
    const me = await t.http().get('/api/v1/auth/me').set(admin.cookie).expect(200);
    expect(me.body.projectRoles).toEqual([{ projectId: p, role: 'viewer' }]);

    await t.http().delete(`/api/v1/projects/${p}/members/${admin.userId}`).set(owner()).expect(204);
    await t
      .http()
      .patch(`/api/v1/projects/${p}`)
      .set(admin.headers)
      .send({ description: 'org role again' })
      .expect(200);

    const ownerUser = actors.owner;
    await t
      .http()
      .put(`/api/v1/projects/${p}/members/${ownerUser.userId}`)
      .set(owner())
      .send({ role: 'viewer' })
      .expect(200);
    await t
      .http()
      .patch(`/api/v1/projects/${p}`)
      .set(ownerUser.headers)
      .send({ description: 'owners are never narrowed' })
      .expect(200);
  });
});
