import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { createFlow, createKey, createProject, exampleDefinition, publish, saveDraft } from '../utils/flow-helpers.js';

type Who = 'owner' | 'admin' | 'editor' | 'viewer' | 'noPublish' | 'otherProject' | 'otherOrg';

interface Fixture {
  projectId: string;
  flowId: string;
  userId: string;
}

/** One route, how to call it, and the status each principal gets. */
interface RouteCase {
  name: string;
  call: (t: TestApp, f: Fixture, key: string) => Promise<{ status: number; body: { code?: string } }>;
  expect: Record<Who, number>;
}

const READ = { owner: 200, admin: 200, editor: 200, viewer: 200, noPublish: 200, otherProject: 404, otherOrg: 404 };
const EDIT = (ok: number) => ({
  owner: ok,
  admin: ok,
  editor: ok,
  viewer: 403,
  noPublish: ok,
  otherProject: 404,
  otherOrg: 404,
});
const PUBLISH = (ok: number) => ({
  owner: ok,
  admin: ok,
  editor: ok,
  viewer: 403,
  noPublish: 403,
  otherProject: 404,
  otherOrg: 404,
});
// The route needs `manage Flow`, which no editor holds: refused before any flow is looked up (so no existence leak).
const SHARE = (ok: number) => ({
  owner: ok,
  admin: ok,
  editor: 403,
  viewer: 403,
  noPublish: 403,
  otherProject: 403,
  otherOrg: 404,
});

const put = async (t: TestApp, f: Fixture, key: string) => {
  const cur = await t.http().get(`/api/v1/flows/${f.flowId}/draft`).set(bearer(key));
  return t
    .http()
    .put(`/api/v1/flows/${f.flowId}/draft`)
    .set(bearer(key))
    .set('If-Match', (cur.headers.etag as string) ?? '"x"')
    .send({ definition: exampleDefinition() });
};

const ROUTES: RouteCase[] = [
  {
    name: 'GET /projects/:id/flows',
    call: (t, f, k) => t.http().get(`/api/v1/projects/${f.projectId}/flows`).set(bearer(k)),
    expect: READ,
  },
  {
    name: 'POST /projects/:id/flows',
    call: (t, f, k) => t.http().post(`/api/v1/projects/${f.projectId}/flows`).set(bearer(k)).send({ name: 'n' }),
    expect: { ...EDIT(201), noPublish: 403 },
  },
  { name: 'GET /flows/:id', call: (t, f, k) => t.http().get(`/api/v1/flows/${f.flowId}`).set(bearer(k)), expect: READ },
  {
    name: 'PATCH /flows/:id',
    call: (t, f, k) => t.http().patch(`/api/v1/flows/${f.flowId}`).set(bearer(k)).send({ name: 'renamed' }),
    expect: EDIT(200),
  },
  {
    name: 'GET /flows/:id/draft',
    call: (t, f, k) => t.http().get(`/api/v1/flows/${f.flowId}/draft`).set(bearer(k)),
    expect: READ,
  },
  { name: 'PUT /flows/:id/draft', call: put, expect: EDIT(200) },
  {
    name: 'POST /flows/:id/publish',
    call: (t, f, k) => t.http().post(`/api/v1/flows/${f.flowId}/publish`).set(bearer(k)).send({}),
    expect: PUBLISH(201),
  },
  {
    name: 'GET /flows/:id/versions',
    call: (t, f, k) => t.http().get(`/api/v1/flows/${f.flowId}/versions`).set(bearer(k)),
    expect: READ,
  },
  {
    name: 'GET /flows/:id/versions/1',
    call: (t, f, k) => t.http().get(`/api/v1/flows/${f.flowId}/versions/1`).set(bearer(k)),
    expect: READ,
  },
  {
    name: 'GET /flows/:id/diff',
    call: (t, f, k) => t.http().get(`/api/v1/flows/${f.flowId}/diff?from=1&to=draft`).set(bearer(k)),
    expect: READ,
  },
  {
    name: 'POST /flows/:id/rollback',
    call: (t, f, k) => t.http().post(`/api/v1/flows/${f.flowId}/rollback`).set(bearer(k)).send({ version: 1 }),
    expect: PUBLISH(201),
  },
  {
    name: 'POST /flows/:id/enable',
    call: (t, f, k) => t.http().post(`/api/v1/flows/${f.flowId}/enable`).set(bearer(k)),
    expect: PUBLISH(200),
  },
  {
    name: 'POST /flows/:id/disable',
    call: (t, f, k) => t.http().post(`/api/v1/flows/${f.flowId}/disable`).set(bearer(k)),
    expect: PUBLISH(200),
  },
  {
    name: 'GET /flows/:id/shares',
    call: (t, f, k) => t.http().get(`/api/v1/flows/${f.flowId}/shares`).set(bearer(k)),
    expect: READ,
  },
  {
    name: 'PUT /flows/:id/shares/:userId',
    call: (t, f, k) =>
      t.http().put(`/api/v1/flows/${f.flowId}/shares/${f.userId}`).set(bearer(k)).send({ role: 'viewer' }),
    expect: SHARE(200),
  },
  {
    name: 'DELETE /flows/:id/shares/:userId',
    call: (t, f, k) => t.http().delete(`/api/v1/flows/${f.flowId}/shares/${f.userId}`).set(bearer(k)),
    expect: SHARE(204),
  },
  {
    name: 'DELETE /flows/:id',
    call: (t, f, k) => t.http().delete(`/api/v1/flows/${f.flowId}`).set(bearer(k)),
    expect: { ...EDIT(204), noPublish: 403 },
  },
];

describe('flows: every route by role, project limit and org', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  const keys = {} as Record<Who, string>;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    keys.owner = a.ownerKey;
    keys.admin = await createKey(t, a.id, 'admin');
    keys.editor = await createKey(t, a.id, 'editor');
    keys.viewer = await createKey(t, a.id, 'viewer');
    // An editor key narrowed to reading and editing flows: drafts yes, publishing no.
    keys.noPublish = await createKey(t, a.id, 'editor', { scopes: ['flow:read', 'flow:update', 'project:read'] });
    const elsewhere = await createProject(t, a.ownerKey, 'elsewhere');
    keys.otherProject = await createKey(t, a.id, 'editor', { projectId: elsewhere });
    keys.otherOrg = b.ownerKey;
  });
  afterAll(() => t.close());

  /** A fresh project and flow (published version 1, a share for a member) per route and principal. */
  async function fixture(): Promise<Fixture> {
    const projectId = await createProject(t, a.ownerKey);
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    await publish(t, a.ownerKey, flowId);
    const userId = randomUUID();
    await t.server.deps.db.systemQuery(`INSERT INTO app_user (id, org_id, email, role) VALUES ($1, $2, $3, 'viewer')`, [
      userId,
      a.id,
      `${userId}@example.com`,
    ]);
    await t
      .http()
      .put(`/api/v1/flows/${flowId}/shares/${userId}`)
      .set(bearer(a.ownerKey))
      .send({ role: 'viewer' })
      .expect(200);
    return { projectId, flowId, userId };
  }

  for (const route of ROUTES) {
    it(route.name, async () => {
      const f = await fixture();
      const got: Partial<Record<Who, number>> = {};
      // Refused principals first, so the allowed calls (which may delete or change the flow) come last.
      const order = (Object.keys(route.expect) as Who[]).sort(
        (x, y) => Number(route.expect[x] < 400) - Number(route.expect[y] < 400),
      );
      for (const who of order) {
        const res = await route.call(t, f, keys[who]);
        got[who] = res.status;
        if (res.status === 404) expect(res.body.code, `${who}`).toMatch(/^(flow|project)_not_found$/);
        if (res.status === 403) expect(res.body.code, `${who}`).toBe('forbidden');
        // Restore what an allowed call changed, so the next allowed principal meets the same state.
        if (res.status < 300 && route.name === 'DELETE /flows/:id')
          await t.server.deps.db.systemQuery(`UPDATE flow SET deleted_at = NULL WHERE id = $1`, [f.flowId]);
        if (res.status < 300 && route.name === 'DELETE /flows/:id/shares/:userId')
          await t
            .http()
            .put(`/api/v1/flows/${f.flowId}/shares/${f.userId}`)
            .set(bearer(a.ownerKey))
            .send({ role: 'viewer' });
      }
      expect(got).toEqual(route.expect);
      const anon = await route.call(t, f, 'tfk_nope_nope');
      expect(anon.status).toBe(401);
    });
  }

  it("never lists another org's or another project's flows", async () => {
    const f = await fixture();
    const listB = await t.http().get(`/api/v1/projects/${f.projectId}/flows`).set(bearer(b.ownerKey)).expect(404);
    expect(listB.body.code).toBe('project_not_found');
    const pB = await createProject(t, b.ownerKey);
    const mine = await t.http().get(`/api/v1/projects/${pB}/flows`).set(bearer(b.ownerKey)).expect(200);
    expect(mine.body.items).toEqual([]);
  });
});
