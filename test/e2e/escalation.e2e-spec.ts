import pg from 'pg';
import type { Test as SupertestTest } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createUser, userSession, type TestSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Must-show 4: escalation attempts are refused with 4xx and change nothing. "Nothing" is checked on the database
 * itself: a snapshot of the org's identity tables before and after each attempt.
 */
describe('privilege escalation is refused and changes nothing', () => {
  let t: TestApp;
  let org: TestOrg;
  let db: pg.Client;
  let admin: TestSession;
  let editor: TestSession;
  let viewer: TestSession;
  let ownerUser: TestSession;
  let project: string;

  const snapshot = async () => {
    const q = async (sql: string) => JSON.stringify((await db.query(sql, [org.id])).rows);
    return [
      await q(`SELECT id, role, status, display_name, email FROM app_user WHERE org_id = $1 ORDER BY id`),
      await q(
        `SELECT id, role, scopes, project_id, revoked_at, encode(secret_hash, 'hex') AS h, name FROM api_key WHERE org_id = $1 ORDER BY id`,
      ),
      await q(`SELECT id, name, permissions FROM custom_role WHERE org_id = $1 ORDER BY id`),
      await q(`SELECT id, project_id, user_id, role FROM project_member WHERE org_id = $1 ORDER BY id`),
      await q(`SELECT id, revoked_at FROM app_session WHERE org_id = $1 ORDER BY id`),
      await q(`SELECT id, name FROM project WHERE org_id = $1 ORDER BY id`),
    ].join('\n');
  };

  /** Sends the attempt, expects the refusal, and proves the org's identity data did not change. */
  const refused = async (
    attempt: () => PromiseLike<{ status: number; body: { code?: string } }>,
    status: number,
    code?: string,
  ) => {
    const before = await snapshot();
    const res = await attempt();
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    if (code) expect(res.body.code).toBe(code);
    expect(await snapshot()).toBe(before);
  };

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    admin = await userSession(t, org.id, 'admin');
    editor = await userSession(t, org.id, 'editor');
    viewer = await userSession(t, org.id, 'viewer');
    ownerUser = await userSession(t, org.id, 'owner');
    project = (await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'esc' }).expect(201)).body
      .id;
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('an admin cannot mint, rotate, rename or revoke owner keys, nor grant or touch the owner role', async () => {
    await refused(
      () => t.http().post('/api/v1/api-keys').set(admin.headers).send({ name: 'mine now', role: 'owner' }),
      403,
      'privilege_escalation',
    );
    const ownerKeyId = (await t.http().get('/api/v1/api-keys?limit=200').set(bearer(org.ownerKey))).body.items.find(
      (k: { role: string }) => k.role === 'owner',
    ).id;
    await refused(
      () => t.http().post(`/api/v1/api-keys/${ownerKeyId}/rotate`).set(admin.headers).send({}),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().patch(`/api/v1/api-keys/${ownerKeyId}`).set(admin.headers).send({ name: 'x' }),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().delete(`/api/v1/api-keys/${ownerKeyId}`).set(admin.headers),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().post('/api/v1/users').set(admin.headers).send({ email: 'new-owner@esc.test', role: 'owner' }),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().patch(`/api/v1/users/${admin.userId}`).set(admin.headers).send({ role: 'owner' }),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().patch(`/api/v1/users/${ownerUser.userId}`).set(admin.headers).send({ role: 'viewer' }),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().delete(`/api/v1/users/${ownerUser.userId}`).set(admin.headers),
      403,
      'privilege_escalation',
    );
    // An admin key (made by the owner) is just as bound.
    const adminKey = (
      await t
        .http()
        .post('/api/v1/api-keys')
        .set(ownerUser.headers)
        .send({ name: 'admin key', role: 'admin' })
        .expect(201)
    ).body.key;
    await refused(
      () => t.http().post('/api/v1/api-keys').set(bearer(adminKey)).send({ name: 'x', role: 'owner' }),
      403,
      'privilege_escalation',
    );
  });

  it('an editor cannot grant themself admin by any route', async () => {
    await refused(
      () => t.http().patch(`/api/v1/users/${editor.userId}`).set(editor.headers).send({ role: 'admin' }),
      403,
      'forbidden',
    );
    await refused(
      () =>
        t
          .http()
          .put(`/api/v1/projects/${project}/members/${editor.userId}`)
          .set(editor.headers)
          .send({ role: 'admin' }),
      403,
      'forbidden',
    );
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/roles')
          .set(editor.headers)
          .send({ name: 'mine', permissions: [{ action: 'manage', subject: 'all' }] }),
      403,
      'forbidden',
    );
    await refused(
      () => t.http().post('/api/v1/api-keys').set(editor.headers).send({ name: 'admin key', role: 'admin' }),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().post('/api/v1/api-keys').set(editor.headers).send({ name: 'owner key', role: 'owner' }),
      403,
      'privilege_escalation',
    );
    // A custom role wider than the editor, as a key role: refused too.
    const wide = (
      await t
        .http()
        .post('/api/v1/roles')
        .set(bearer(org.ownerKey))
        .send({ name: 'wide', permissions: [{ action: 'delete', subject: 'User' }] })
        .expect(201)
    ).body.id;
    await refused(
      () => t.http().post('/api/v1/api-keys').set(editor.headers).send({ name: 'wide key', role: wide }),
      403,
      'privilege_escalation',
    );
    // Nor through a key the editor holds.
    const edKey = (
      await t.http().post('/api/v1/api-keys').set(editor.headers).send({ name: 'ed', role: 'editor' }).expect(201)
    ).body.key;
    await refused(
      () => t.http().post('/api/v1/api-keys').set(bearer(edKey)).send({ name: 'x', role: 'admin' }),
      403,
      'privilege_escalation',
    );
    await refused(
      () => t.http().patch(`/api/v1/users/${editor.userId}`).set(bearer(edKey)).send({ role: 'admin' }),
      403,
      'forbidden',
    );
  });

  it('a viewer cannot mint keys; a project admin cannot grant beyond the project', async () => {
    await refused(
      () => t.http().post('/api/v1/api-keys').set(viewer.headers).send({ name: 'v', role: 'viewer' }),
      403,
      'forbidden',
    );
    const pAdmin = await userSession(t, org.id, 'viewer');
    await t
      .http()
      .put(`/api/v1/projects/${project}/members/${pAdmin.userId}`)
      .set(bearer(org.ownerKey))
      .send({ role: 'admin' })
      .expect(200);
    const other = (
      await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'esc-other' }).expect(201)
    ).body.id;
    await refused(
      () =>
        t.http().put(`/api/v1/projects/${other}/members/${pAdmin.userId}`).set(pAdmin.headers).send({ role: 'admin' }),
      403,
      'forbidden',
    );
    await refused(
      () => t.http().patch(`/api/v1/users/${pAdmin.userId}`).set(pAdmin.headers).send({ role: 'admin' }),
      403,
      'forbidden',
    );
    await refused(
      () => t.http().post('/api/v1/projects').set(pAdmin.headers).send({ name: 'esc-new' }),
      403,
      'forbidden',
    );
    // Inside the project the project admin may grant what they hold there.
    const target = await createUser(t, org.id, 'viewer');
    await t
      .http()
      .put(`/api/v1/projects/${project}/members/${target}`)
      .set(pAdmin.headers)
      .send({ role: 'editor' })
      .expect(200);
    // A project key cannot create projects either.
    const pKey = (
      await t
        .http()
        .post('/api/v1/api-keys')
        .set(bearer(org.ownerKey))
        .send({ name: 'p', role: 'admin', projectId: project })
        .expect(201)
    ).body.key;
    await refused(
      () => t.http().post('/api/v1/projects').set(bearer(pKey)).send({ name: 'esc-by-key' }),
      403,
      'forbidden',
    );
  });

  it('a key cannot carry scopes wider than its role', async () => {
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/api-keys')
          .set(bearer(org.ownerKey))
          .send({ name: 's', role: 'viewer', scopes: ['project:create'] }),
      400,
      'invalid_scope',
    );
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/api-keys')
          .set(bearer(org.ownerKey))
          .send({ name: 's', role: 'editor', scopes: ['flow:manage'] }),
      400,
      'invalid_scope',
    );
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/api-keys')
          .set(bearer(org.ownerKey))
          .send({ name: 's', role: 'viewer', scopes: ['all:manage'] }),
      400,
      'invalid_scope',
    );
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/api-keys')
          .set(bearer(org.ownerKey))
          .send({ name: 's', role: 'viewer', scopes: ['flow:read', 'user:delete'] }),
      400,
      'invalid_scope',
    );
    // A scoped key cannot mint a key wider than its scopes.
    const scoped = (
      await t
        .http()
        .post('/api/v1/api-keys')
        .set(bearer(org.ownerKey))
        .send({ name: 's', role: 'admin', scopes: ['api_key:create', 'api_key:read'] })
        .expect(201)
    ).body.key;
    await refused(
      () => t.http().post('/api/v1/api-keys').set(bearer(scoped)).send({ name: 'unscoped', role: 'admin' }),
      403,
      'privilege_escalation',
    );
  });

  it('custom roles cannot exceed their author nor escape the vocabulary', async () => {
    const narrowAdmin = (
      await t
        .http()
        .post('/api/v1/roles')
        .set(bearer(org.ownerKey))
        .send({
          name: 'role maker',
          permissions: [
            { action: 'create', subject: 'Role' },
            { action: 'read', subject: 'Role' },
          ],
        })
        .expect(201)
    ).body.id;
    const maker = await userSession(t, org.id, narrowAdmin);
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/roles')
          .set(maker.headers)
          .send({ name: 'x', permissions: [{ action: 'delete', subject: 'Project' }] }),
      403,
      'privilege_escalation',
    );
    const asOwner = bearer(org.ownerKey);
    for (const conditions of [
      { orgId: '0190a000-0000-7000-8000-000000000001' },
      { projectId: { $ne: project } },
      { name: 'x' },
      { ownerUserId: 'someone' },
    ]) {
      await refused(
        () =>
          t
            .http()
            .post('/api/v1/roles')
            .set(asOwner)
            .send({ name: 'bad', permissions: [{ action: 'read', subject: 'Flow', conditions }] }),
        400,
      );
    }
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/roles')
          .set(asOwner)
          .send({
            name: 'bad',
            permissions: [{ action: 'read', subject: 'User', conditions: { projectId: project } }],
          }),
      400,
    );
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/roles')
          .set(asOwner)
          .send({ name: 'bad', permissions: [{ action: 'sudo', subject: 'Flow' }] }),
      400,
    );
    await refused(
      () =>
        t
          .http()
          .post('/api/v1/roles')
          .set(asOwner)
          .send({ name: 'Owner', permissions: [{ action: 'read', subject: 'Flow' }] }),
      409,
    );
    await refused(
      () =>
        t
          .http()
          .patch('/api/v1/roles/viewer')
          .set(asOwner)
          .send({ permissions: [{ action: 'manage', subject: 'all' }] }),
      409,
      'role_immutable',
    );
    await refused(() => t.http().delete('/api/v1/roles/admin').set(asOwner), 409, 'role_immutable');
  });

  it('unknown fields (orgId, role, id, status, ...) smuggled into bodies are refused', async () => {
    const asOwner = bearer(org.ownerKey);
    const other = '0190a000-0000-7000-8000-0000000000ff';
    const key = (await t.http().post('/api/v1/api-keys').set(asOwner).send({ name: 'k', role: 'viewer' }).expect(201))
      .body.id;
    const attempts: [string, string, Record<string, unknown>][] = [
      ['post', '/api/v1/users', { email: 'smuggle@esc.test', role: 'viewer', orgId: other }],
      ['post', '/api/v1/users', { email: 'smuggle2@esc.test', role: 'viewer', status: 'active', id: other }],
      ['patch', `/api/v1/users/${viewer.userId}`, { displayName: 'x', status: 'active' }],
      ['patch', `/api/v1/users/${viewer.userId}`, { email: 'takeover@esc.test' }],
      ['post', '/api/v1/api-keys', { name: 'k', role: 'viewer', orgId: other }],
      ['post', '/api/v1/api-keys', { name: 'k', role: 'viewer', ownerUserId: editor.userId }],
      ['post', '/api/v1/api-keys', { name: 'k', role: 'viewer', createdById: other }],
      ['patch', `/api/v1/api-keys/${key}`, { name: 'k', role: 'owner' }],
      ['patch', `/api/v1/api-keys/${key}`, { name: 'k', scopes: [] }],
      ['post', `/api/v1/api-keys/${key}/rotate`, { gracePeriodSeconds: 0, secret: 'x' }],
      ['put', `/api/v1/projects/${project}/members/${viewer.userId}`, { role: 'viewer', projectId: other }],
      ['post', '/api/v1/roles', { name: 'r', permissions: [{ action: 'read', subject: 'Flow' }], orgId: other }],
      ['post', '/api/v1/roles', { name: 'r', permissions: [{ action: 'read', subject: 'Flow', inverted: true }] }],
      ['patch', '/api/v1/org', { name: 'x', status: 'active' }],
      ['post', '/api/v1/authz/check', { action: 'read', subject: 'Flow', orgId: other }],
    ];
    for (const [method, path, body] of attempts) {
      await refused(
        () =>
          (t.http() as unknown as Record<string, (p: string) => SupertestTest>)[method](path).set(asOwner).send(body),
        400,
        'validation_failed',
      );
    }
  });

  it('the last active owner cannot be demoted or deactivated', async () => {
    const lone = await t.createOrg();
    const only = await createUser(t, lone.id, 'owner');
    await refused(
      () => t.http().patch(`/api/v1/users/${only}`).set(bearer(lone.ownerKey)).send({ role: 'admin' }),
      409,
      'last_owner',
    );
    await refused(() => t.http().delete(`/api/v1/users/${only}`).set(bearer(lone.ownerKey)), 409, 'last_owner');
  });

  it('refusals are audited as authz.denied outside the refused transaction', async () => {
    const seen: string[] = [];
    t.server.deps.events.subscribe(async (_em, e) => {
      if (e.action === 'authz.denied') seen.push(e.reason ?? '');
    });
    await t.http().post('/api/v1/api-keys').set(admin.headers).send({ name: 'again', role: 'owner' }).expect(403);
    await t.http().post('/api/v1/api-keys').set(viewer.headers).send({ name: 'again', role: 'viewer' }).expect(403);
    expect(seen).toEqual(['privilege_escalation', 'role']);
  });
});
