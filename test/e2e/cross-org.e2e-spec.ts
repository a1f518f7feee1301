import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleDefinition, publish, saveDraft } from '../utils/flow-helpers.js';
import { finishedRun, publishedFlow } from '../utils/run-helpers.js';
import { registeredRoutes } from '../utils/routes.js';
import { createUser } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Must-show 2: for every resource type an org can create, another org's owner gets 404 on read, update, delete
 * and rotate of it, and never sees it in a list. "Every" is enforced: each route that creates something must be
 * claimed by a resource type below (or listed as not creating anything), so a new resource fails this test until
 * it is added here.
 */
interface Created {
  id: string;
  read?: string;
  update?: { path: string; body: Record<string, unknown>; method?: 'patch' | 'put' };
  remove?: string;
  rotate?: string;
  /** Lists the other org's owner may call, none of which may contain `id` (the item's `idField`). */
  lists: string[];
  idField?: string;
  /** Further reads and actions on the resource, each of which must also be 404 for B. */
  more?: { method: 'get' | 'post' | 'put' | 'patch' | 'delete'; path: string; body?: Record<string, unknown> }[];
  /** A's view after B's attempts: the resource is still there, unchanged. */
  check: string;
}

interface ResourceType {
  name: string;
  /** The routes that create this type (`METHOD /path` as the router registers it). */
  creates: string[];
  create(t: TestApp, a: TestOrg, b: TestOrg): Promise<Created>;
}

const post = async (t: TestApp, key: string, path: string, body: Record<string, unknown>) =>
  (await t.http().post(path).set(bearer(key)).send(body).expect(201)).body;

/** A published manual flow of one code node. */
const manualFlow = (t: TestApp, key: string, code = 'return { n: trigger.input.n };') =>
  publishedFlow(t, key, {
    schemaVersion: 1,
    trigger: { type: 'manual' },
    nodes: [{ id: 'c', type: 'code', params: { code } }],
    edges: [{ from: 'trigger', to: 'c' }],
  });

const RESOURCE_TYPES: ResourceType[] = [
  {
    name: 'project',
    creates: ['POST /api/v1/projects'],
    async create(t, a) {
      const p = await post(t, a.ownerKey, '/api/v1/projects', { name: `xo-${Date.now()}` });
      const path = `/api/v1/projects/${p.id}`;
      return {
        id: p.id,
        read: path,
        update: { path, body: { name: 'pwned' } },
        remove: path,
        lists: ['/api/v1/projects?limit=200'],
        check: path,
      };
    },
  },
  {
    name: 'user',
    creates: ['POST /api/v1/users'],
    async create(t, a) {
      const u = await post(t, a.ownerKey, '/api/v1/users', { email: `xo-${Date.now()}@a.test`, role: 'viewer' });
      const path = `/api/v1/users/${u.id}`;
      return {
        id: u.id,
        read: path,
        update: { path, body: { role: 'admin' } },
        remove: path,
        lists: ['/api/v1/users?limit=200'],
        check: path,
      };
    },
  },
  {
    name: 'custom role',
    creates: ['POST /api/v1/roles'],
    async create(t, a) {
      const r = await post(t, a.ownerKey, '/api/v1/roles', {
        name: `xo-${Date.now()}`,
        permissions: [{ action: 'read', subject: 'Flow' }],
      });
      const path = `/api/v1/roles/${r.id}`;
      return {
        id: r.id,
        read: path,
        update: { path, body: { permissions: [{ action: 'manage', subject: 'all' }] } },
        remove: path,
        lists: ['/api/v1/roles?limit=200'],
        check: path,
      };
    },
  },
  {
    name: 'API key',
    creates: ['POST /api/v1/api-keys'],
    async create(t, a) {
      const k = await post(t, a.ownerKey, '/api/v1/api-keys', { name: 'xo', role: 'viewer' });
      const path = `/api/v1/api-keys/${k.id}`;
      return {
        id: k.id,
        read: path,
        update: { path, body: { name: 'pwned' } },
        remove: path,
        rotate: `${path}/rotate`,
        lists: ['/api/v1/api-keys?limit=200'],
        check: path,
      };
    },
  },
  {
    name: 'project member',
    creates: ['PUT /api/v1/projects/:projectId/members/:userId'],
    async create(t, a, b) {
      const p = await post(t, a.ownerKey, '/api/v1/projects', { name: `xo-members-${Date.now()}` });
      const userId = await createUser(t, a.id, 'viewer');
      const path = `/api/v1/projects/${p.id}/members/${userId}`;
      await t.http().put(path).set(bearer(a.ownerKey)).send({ role: 'editor' }).expect(200);
      const bProject = await post(t, b.ownerKey, '/api/v1/projects', { name: `xo-b-${Date.now()}` });
      return {
        id: userId,
        idField: 'userId',
        read: `/api/v1/projects/${p.id}/members`,
        update: { path, body: { role: 'admin' }, method: 'put' },
        remove: path,
        lists: [`/api/v1/projects/${bProject.id}/members?limit=200`],
        check: `/api/v1/projects/${p.id}/members`,
      };
    },
  },
  {
    name: 'flow',
    creates: ['POST /api/v1/projects/:projectId/flows'],
    async create(t, a, b) {
      const p = await post(t, a.ownerKey, '/api/v1/projects', { name: `xo-flows-${Date.now()}` });
      const f = await post(t, a.ownerKey, `/api/v1/projects/${p.id}/flows`, { name: 'xo' });
      const bProject = await post(t, b.ownerKey, '/api/v1/projects', { name: `xo-bf-${Date.now()}` });
      const path = `/api/v1/flows/${f.id}`;
      return {
        id: f.id,
        read: path,
        update: { path, body: { name: 'pwned' } },
        remove: path,
        lists: [`/api/v1/projects/${bProject.id}/flows?limit=200`],
        check: path,
        more: [
          { method: 'post', path: `${path}/enable` },
          { method: 'get', path: `/api/v1/projects/${p.id}/flows` },
        ],
      };
    },
  },
  {
    name: 'flow draft and version',
    creates: [
      'PUT /api/v1/flows/:flowId/draft',
      'POST /api/v1/flows/:flowId/publish',
      'POST /api/v1/flows/:flowId/rollback',
    ],
    async create(t, a) {
      const p = await post(t, a.ownerKey, '/api/v1/projects', { name: `xo-versions-${Date.now()}` });
      const f = await post(t, a.ownerKey, `/api/v1/projects/${p.id}/flows`, { name: 'xo' });
      await saveDraft(t, a.ownerKey, f.id, exampleDefinition());
      const version = await publish(t, a.ownerKey, f.id);
      return {
        id: String(version),
        idField: 'version',
        read: `/api/v1/flows/${f.id}/versions/${version}`,
        update: { path: `/api/v1/flows/${f.id}/draft`, body: { definition: exampleDefinition() }, method: 'put' },
        lists: [],
        check: `/api/v1/flows/${f.id}/versions`,
        more: [
          { method: 'post', path: `/api/v1/flows/${f.id}/rollback`, body: { version } },
          { method: 'post', path: `/api/v1/flows/${f.id}/publish` },
          { method: 'get', path: `/api/v1/flows/${f.id}/draft` },
          { method: 'get', path: `/api/v1/flows/${f.id}/diff?from=1&to=draft` },
        ],
      };
    },
  },
  {
    name: 'flow share',
    creates: ['PUT /api/v1/flows/:flowId/shares/:userId'],
    async create(t, a) {
      const p = await post(t, a.ownerKey, '/api/v1/projects', { name: `xo-shares-${Date.now()}` });
      const f = await post(t, a.ownerKey, `/api/v1/projects/${p.id}/flows`, { name: 'xo' });
      const userId = await createUser(t, a.id, 'viewer');
      const path = `/api/v1/flows/${f.id}/shares/${userId}`;
      await t.http().put(path).set(bearer(a.ownerKey)).send({ role: 'editor' }).expect(200);
      return {
        id: userId,
        idField: 'userId',
        read: `/api/v1/flows/${f.id}/shares`,
        update: { path, body: { role: 'viewer' }, method: 'put' },
        remove: path,
        lists: [],
        check: `/api/v1/flows/${f.id}/shares`,
      };
    },
  },
  {
    name: 'run',
    creates: ['POST /api/v1/flows/:flowId/runs'],
    async create(t, a, b) {
      const flowId = await manualFlow(t, a.ownerKey);
      const run = await post(t, a.ownerKey, `/api/v1/flows/${flowId}/runs`, { input: { n: 1 }, wait: true });
      const bFlow = await manualFlow(t, b.ownerKey);
      await post(t, b.ownerKey, `/api/v1/flows/${bFlow}/runs`, { input: { n: 2 }, wait: true });
      const path = `/api/v1/runs/${run.runId}`;
      return {
        id: run.runId,
        read: path,
        check: path,
        // B's own flow's history, and A's flow's history asked by B (answers an empty page, like an unknown flow).
        lists: [`/api/v1/flows/${bFlow}/runs?limit=200`],
        // A's flow does not exist for B: its run list answers 404 like the flow itself (issue 12).
        more: [
          { method: 'post', path: `${path}/cancel` },
          { method: 'post', path: `/api/v1/flows/${flowId}/runs`, body: { input: { n: 3 } } },
          { method: 'get', path: `/api/v1/flows/${flowId}/runs?limit=200` },
        ],
      };
    },
  },
  {
    name: 'connection',
    creates: ['POST /api/v1/connections'],
    async create(t, a) {
      const c = await post(t, a.ownerKey, '/api/v1/connections', {
        name: `xo-${Date.now()}`,
        type: 'oauth2',
        data: {
          grantType: 'authorization_code',
          clientId: 'c',
          clientSecret: 'xo-secret',
          tokenUrl: 'https://auth.example.test/token',
          authorizeUrl: 'https://auth.example.test/authorize',
        },
      });
      const path = `/api/v1/connections/${c.id}`;
      return {
        id: c.id,
        read: path,
        update: { path, body: { name: 'pwned' } },
        remove: path,
        check: path,
        lists: ['/api/v1/connections?limit=200'],
        more: [
          { method: 'post', path: `${path}/test` },
          { method: 'post', path: `${path}/oauth2/authorize` },
        ],
      };
    },
  },
  {
    name: 'secret provider',
    // Addressed by name within the org: B's PUT of the same name creates B's own provider (tested in
    // secret-providers.e2e-spec.ts), so "update" here is B's test call and delete, which must not find A's.
    creates: ['PUT /api/v1/secret-providers/:name'],
    async create(t, a) {
      const name = `sp-${Math.random().toString(36).slice(2, 8)}`;
      await t
        .http()
        .put(`/api/v1/secret-providers/${name}`)
        .set(bearer(a.ownerKey))
        .send({ type: 'env', config: {} })
        .expect(200);
      return {
        id: name,
        idField: 'name',
        check: '/api/v1/secret-providers?limit=200',
        remove: `/api/v1/secret-providers/${name}`,
        lists: ['/api/v1/secret-providers?limit=200'],
        more: [{ method: 'post', path: `/api/v1/secret-providers/${name}/test` }],
      };
    },
  },
];

RESOURCE_TYPES.push({
  name: 'embed key',
  creates: ['POST /api/v1/embed/keys'],
  async create(t, a) {
    const { publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const k = await post(t, a.ownerKey, '/api/v1/embed/keys', { kid: `xo-${Date.now()}`, alg: 'ES256', publicKey });
    return {
      id: k.id,
      remove: `/api/v1/embed/keys/${k.id}`,
      lists: ['/api/v1/embed/keys'],
      check: '/api/v1/embed/keys',
    };
  },
});

/** Routes that create nothing an org owns (actions on existing resources, sign-out, questions, platform). */
const NOT_CREATING = [
  'POST /api/v1/api-keys/:keyId/rotate',
  'POST /api/v1/auth/logout',
  'POST /api/v1/authz/check',
  'POST /api/v1/platform/orgs',
  'POST /api/v1/flows/:flowId/enable',
  'POST /api/v1/flows/:flowId/disable',
  // Ends a run (covered by the run type above and, on a running run, by its own test below).
  'POST /api/v1/runs/:runId/cancel',
  // Actions on an existing connection (covered by the connection type above).
  'POST /api/v1/connections/:connectionId/test',
  'POST /api/v1/connections/:connectionId/oauth2/authorize',
  // A connectivity check of an existing provider (covered by the secret provider type above).
  'POST /api/v1/secret-providers/:name/test',
  // One-per-org settings addressed without an id: there is no "A's resource" for B to name; their isolation is
  // tested in sso-config.e2e-spec.ts (SSO), plugins.e2e-spec.ts (plugin settings), embed.e2e-spec.ts (CORS origins)
  // and below (audit settings).
  'PUT /api/v1/sso/saml',
  'PUT /api/v1/sso/oidc',
  'PUT /api/v1/audit-settings',
  'PUT /api/v1/plugins/:pluginName/config',
  'PUT /api/v1/embed/settings',
];

describe('cross-org isolation of every resource type', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
  });
  afterAll(() => t.close());

  it('every route that creates something is covered by a resource type here', () => {
    const claimed = new Set([...RESOURCE_TYPES.flatMap((r) => r.creates), ...NOT_CREATING]);
    const creating = registeredRoutes(t.server)
      .filter((r) => !r.public && (r.method === 'POST' || r.method === 'PUT'))
      .map((r) => `${r.method} ${r.path}`);
    expect(
      creating.filter((r) => !claimed.has(r)),
      'add a resource type (or a NOT_CREATING entry) for these routes',
    ).toEqual([]);
  });

  for (const type of RESOURCE_TYPES) {
    it(`${type.name}: B's owner gets 404 on read, update, delete and rotate, and never sees it listed`, async () => {
      const r = await type.create(t, a, b);
      const before = (await t.http().get(r.check).set(bearer(a.ownerKey)).expect(200)).body;
      const asB = bearer(b.ownerKey);
      if (r.read) expect((await t.http().get(r.read).set(asB)).status, 'read').toBe(404);
      if (r.update)
        expect(
          (await t.http()[r.update.method ?? 'patch'](r.update.path).set(asB).send(r.update.body)).status,
          'update',
        ).toBe(404);
      if (r.rotate) expect((await t.http().post(r.rotate).set(asB).send({})).status, 'rotate').toBe(404);
      for (const m of r.more ?? [])
        expect(
          (
            await t
              .http()
              [m.method](m.path)
              .set(asB)
              .send(m.body ?? {})
          ).status,
          `${m.method} ${m.path}`,
        ).toBe(404);
      if (r.remove) expect((await t.http().delete(r.remove).set(asB)).status, 'delete').toBe(404);
      for (const list of r.lists) {
        const res = await t.http().get(list).set(asB).expect(200);
        expect(res.body.items.map((i: Record<string, unknown>) => i[r.idField ?? 'id'])).not.toContain(r.id);
      }
      const after = (await t.http().get(r.check).set(bearer(a.ownerKey)).expect(200)).body;
      expect(after).toEqual(before);
    });
  }

  it("B's owner cannot cancel A's running run, nor see it while it runs", async () => {
    const flowId = await manualFlow(
      t,
      a.ownerKey,
      'const end = Date.now() + 1500; while (Date.now() < end) {} return "done";',
    );
    const { runId } = await post(t, a.ownerKey, `/api/v1/flows/${flowId}/runs`, { input: {} });
    const asB = bearer(b.ownerKey);
    expect((await t.http().post(`/api/v1/runs/${runId}/cancel`).set(asB).send({})).status).toBe(404);
    expect((await t.http().get(`/api/v1/runs/${runId}`).set(asB)).status).toBe(404);
    expect((await finishedRun(t, a.ownerKey, runId)).status).toBe('succeeded');
  });

  it("one org's audit settings are not another's", async () => {
    const settings = (key: string) =>
      t
        .http()
        .get('/api/v1/audit-settings')
        .set(bearer(key))
        .expect(200)
        .then((r) => r.body);
    const bBefore = await settings(b.ownerKey);
    await t.http().put('/api/v1/audit-settings').set(bearer(a.ownerKey)).send({ retentionDays: 400 }).expect(200);
    expect(await settings(b.ownerKey)).toEqual(bBefore);
    await t.http().put('/api/v1/audit-settings').set(bearer(b.ownerKey)).send({ retentionDays: 30 }).expect(200);
    expect(await settings(a.ownerKey)).toEqual({ retentionDays: 400 });
    expect(await settings(b.ownerKey)).toEqual({ retentionDays: 30 });
  });

  it("another org's custom role or project cannot be referenced in grants", async () => {
    const role = await post(t, a.ownerKey, '/api/v1/roles', {
      name: `ref-${Date.now()}`,
      permissions: [{ action: 'read', subject: 'Flow' }],
    });
    const project = await post(t, a.ownerKey, '/api/v1/projects', { name: `ref-${Date.now()}` });
    const asB = bearer(b.ownerKey);
    expect(
      (
        await t
          .http()
          .post('/api/v1/users')
          .set(asB)
          .send({ email: `r-${Date.now()}@b.test`, role: role.id })
      ).status,
    ).toBe(400);
    expect((await t.http().post('/api/v1/api-keys').set(asB).send({ name: 'x', role: role.id })).status).toBe(400);
    expect(
      (await t.http().post('/api/v1/api-keys').set(asB).send({ name: 'x', role: 'viewer', projectId: project.id }))
        .status,
    ).toBe(404);
    const conds = await t
      .http()
      .post('/api/v1/roles')
      .set(asB)
      .send({
        name: 'steal',
        permissions: [{ action: 'read', subject: 'Flow', conditions: { projectId: project.id } }],
      });
    expect(conds.status).toBe(400);
    const authz = await t
      .http()
      .post('/api/v1/authz/check')
      .set(asB)
      .send({ action: 'read', subject: 'Project', subjectId: project.id })
      .expect(200);
    expect(authz.body.allowed).toBe(false);
    // A user of org A (created here, so the check below always runs) is unknown to org B.
    const userA = (
      await t
        .http()
        .post('/api/v1/users')
        .set(bearer(a.ownerKey))
        .send({ email: `cross-${Date.now().toString(36)}@example.test`, role: 'viewer' })
        .expect(201)
    ).body.id;
    await t
      .http()
      .post('/api/v1/authz/check')
      .set(bearer(a.ownerKey))
      .send({ action: 'read', subject: 'Org', userId: userA })
      .expect(200);
    await t
      .http()
      .post('/api/v1/authz/check')
      .set(asB)
      .send({ action: 'read', subject: 'Org', userId: userA })
      .expect(404);
  });
});
