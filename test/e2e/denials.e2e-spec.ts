import type pg from 'pg';
import type { Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditClients, auditMark, auditSince } from '../utils/audit-db.js';
import { createFlow, createKey, createProject } from '../utils/flow-helpers.js';
import { userSession, type TestSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const PLATFORM_ORG = '00000000-0000-0000-0000-000000000000';

/**
 * Every 403 writes exactly one `authz.denied` entry, whoever refuses: the access guard (role), the escalation rules,
 * a service that refuses an instance the guard let through (flows, project members), the CSRF check, and the
 * platform key on an org route (in the platform chain).
 */
describe('every 403 is recorded once as authz.denied', () => {
  let t: TestApp;
  let org: TestOrg;
  let owner: pg.Client;
  let close: () => Promise<void>;
  let p: string;
  let q: string;
  let viewerKey: string;

  /** Sends the request, expects 403 with `code`, and returns the entries it wrote (all chains). */
  async function refused(req: () => Test, code: string) {
    const mark = await auditMark(owner);
    const res = await req();
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.code).toBe(code);
    return auditSince(owner, mark);
  }

  beforeAll(async () => {
    t = await createTestApp();
    ({ owner, close } = await auditClients());
    org = await t.createOrg();
    p = await createProject(t, org.ownerKey);
    q = await createProject(t, org.ownerKey);
    viewerKey = await createKey(t, org.id, 'viewer');
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('the guard: a viewer key creating a project', async () => {
    const written = await refused(
      () => t.http().post('/api/v1/projects').set(bearer(viewerKey)).send({ name: 'nope' }),
      'forbidden',
    );
    expect(written.map((w) => [w.org_id, w.action, w.outcome, w.reason])).toEqual([
      [org.id, 'authz.denied', 'denied', 'role'],
    ]);
  });

  it('the escalation rules: an admin renaming the owner key', async () => {
    const admin = await userSession(t, org.id, 'admin');
    const ownerKeyId = (
      await t.http().get('/api/v1/api-keys?limit=200').set(bearer(org.ownerKey)).expect(200)
    ).body.items.find((k: { role: string }) => k.role === 'owner').id;
    const written = await refused(
      () => t.http().patch(`/api/v1/api-keys/${ownerKeyId}`).set(admin.headers).send({ name: 'mine' }),
      'privilege_escalation',
    );
    expect(written.map((w) => [w.action, w.reason, w.actor_type, w.actor_id])).toEqual([
      ['authz.denied', 'privilege_escalation', 'user', admin.userId],
    ]);
  });

  describe('services refusing an instance the guard let through', () => {
    let projectAdmin: TestSession;

    beforeAll(async () => {
      // An org viewer who is admin in project P: may manage P's members and flows, only read Q.
      projectAdmin = await userSession(t, org.id, 'viewer');
      await t
        .http()
        .put(`/api/v1/projects/${p}/members/${projectAdmin.userId}`)
        .set(bearer(org.ownerKey))
        .send({ role: 'admin' })
        .expect(200);
    });

    it('project members: setting a role in another project', async () => {
      const other = await userSession(t, org.id, 'viewer');
      const written = await refused(
        () =>
          t
            .http()
            .put(`/api/v1/projects/${q}/members/${other.userId}`)
            .set(projectAdmin.headers)
            .send({ role: 'viewer' }),
        'forbidden',
      );
      expect(written.map((w) => [w.action, w.resource_type, w.reason, w.actor_id])).toEqual([
        ['authz.denied', 'ProjectMember', 'instance', projectAdmin.userId],
      ]);
      expect(written[0].metadata).toMatchObject({
        method: 'PUT',
        route: '/api/v1/projects/:projectId/members/:userId',
        action: 'update',
      });
    });

    it('flows: creating a flow in another project', async () => {
      const written = await refused(
        () => t.http().post(`/api/v1/projects/${q}/flows`).set(projectAdmin.headers).send({ name: 'nope' }),
        'forbidden',
      );
      expect(written.map((w) => [w.action, w.resource_type, w.reason])).toEqual([['authz.denied', 'Flow', 'instance']]);
    });

    it('flows: changing a flow the caller reads but may not edit', async () => {
      const shared = await createFlow(t, org.ownerKey, q, 'shared');
      const other = await createFlow(t, org.ownerKey, q, 'other');
      await t
        .http()
        .put(`/api/v1/flows/${shared}/shares/${projectAdmin.userId}`)
        .set(bearer(org.ownerKey))
        .send({ role: 'editor' })
        .expect(200);
      await t.http().patch(`/api/v1/flows/${shared}`).set(projectAdmin.headers).send({ name: 'allowed' }).expect(200);
      const written = await refused(
        () => t.http().patch(`/api/v1/flows/${other}`).set(projectAdmin.headers).send({ name: 'nope' }),
        'forbidden',
      );
      expect(written.map((w) => [w.action, w.resource_type, w.reason])).toEqual([['authz.denied', 'Flow', 'instance']]);
      expect(written[0].metadata).toMatchObject({ method: 'PATCH', route: '/api/v1/flows/:flowId' });
    });
  });

  it('the CSRF check: a session without its token', async () => {
    const s = await userSession(t, org.id, 'admin');
    const written = await refused(
      () => t.http().post('/api/v1/projects').set(s.cookie).send({ name: 'forged' }),
      'csrf_failed',
    );
    expect(written.map((w) => [w.org_id, w.action, w.reason, w.actor_type, w.actor_id])).toEqual([
      [org.id, 'authz.denied', 'csrf_failed', 'user', s.userId],
    ]);
  });

  it('the platform key on an org route: in the platform chain', async () => {
    const res = await t.http().get('/api/v1/org').set(bearer(t.platformKey));
    expect(res.status).toBe(403);
    const mark = await auditMark(owner);
    await t.http().patch('/api/v1/org').set(bearer(t.platformKey)).send({ name: 'taken over' }).expect(403);
    const written = await auditSince(owner, mark);
    expect(written.map((w) => [w.org_id, w.action, w.actor_type, w.reason])).toEqual([
      [PLATFORM_ORG, 'authz.denied', 'platform', 'wrong_principal_type'],
    ]);
  });
});
