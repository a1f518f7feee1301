import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { Database } from '../../src/core/database/database.js';
import { UsersService } from '../../src/modules/identity/index.js';
import { createUser, userSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

describe('users, roles, project members, authz check', () => {
  let t: TestApp;
  let org: TestOrg;
  const events: DomainEvent[] = [];
  const owner = () => bearer(org.ownerKey);
  const actions = () => events.map((e) => e.action);

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    t.server.deps.events.subscribe(async (_em, e) => {
      events.push(e);
    });
  });
  afterAll(() => t.close());

  it('creates, lists, reads, updates and deactivates users, emitting audit events', async () => {
    events.length = 0;
    const created = await t
      .http()
      .post('/api/v1/users')
      .set(owner())
      .send({ email: '  Ada@Example.TEST ', role: 'editor', displayName: 'Ada' })
      .expect(201);
    expect(created.body).toMatchObject({
      email: 'ada@example.test',
      role: 'editor',
      displayName: 'Ada',
      status: 'active',
    });
    const id = created.body.id;
    await t.http().post('/api/v1/users').set(owner()).send({ email: 'ADA@example.test', role: 'viewer' }).expect(409);
    await t.http().post('/api/v1/users').set(owner()).send({ email: 'not-an-email', role: 'viewer' }).expect(400);
    await t.http().post('/api/v1/users').set(owner()).send({ email: 'x@example.test', role: 'root' }).expect(400);
    expect((await t.http().get(`/api/v1/users/${id}`).set(owner()).expect(200)).body.email).toBe('ada@example.test');
    const list = await t.http().get('/api/v1/users?limit=200').set(owner()).expect(200);
    expect(list.body.items.map((u: { id: string }) => u.id)).toContain(id);
    const updated = await t
      .http()
      .patch(`/api/v1/users/${id}`)
      .set(owner())
      .send({ role: 'viewer', displayName: null })
      .expect(200);
    expect(updated.body).toMatchObject({ role: 'viewer', displayName: null });
    await t.http().delete(`/api/v1/users/${id}`).set(owner()).expect(204);
    await t.http().delete(`/api/v1/users/${id}`).set(owner()).expect(204); // idempotent
    expect((await t.http().get(`/api/v1/users/${id}`).set(owner()).expect(200)).body.status).toBe('deactivated');
    expect(actions()).toEqual(['user.created', 'user.updated', 'user.updated', 'user.deactivated']);
    expect(events[1].metadata).toEqual({ before: { role: 'editor' }, after: { role: 'viewer' } });
    await t.http().get('/api/v1/users/not-a-uuid').set(owner()).expect(404);
  });

  it('UsersService: createInTx, setRoleInTx and exact findByEmail for sign-in flows', async () => {
    const users = t.server.app.get(UsersService);
    const db = t.server.app.get(Database);
    const u = await db.withOrg(org.id, (em) =>
      users.createInTx(em, { orgId: org.id, email: 'Sso.User@Example.test', role: 'viewer' }),
    );
    await db.withOrg(org.id, async (em) => {
      expect((await users.findByEmail(em, org.id, 'sso.user@example.test'))?.id).toBe(u.id);
      expect((await users.findByEmail(em, org.id, ' SSO.USER@EXAMPLE.TEST '))?.id).toBe(u.id);
      expect(await users.findByEmail(em, org.id, 'sso.user@example')).toBeNull();
      expect(await users.findByEmail(em, org.id, '%@example.test')).toBeNull();
      // A duplicate does not poison the caller's transaction: it can look the user up and carry on.
      await expect(
        users.createInTx(em, { orgId: org.id, email: 'sso.user@example.test', role: 'viewer' }),
      ).rejects.toMatchObject({ code: 'user_exists' });
      expect((await users.setRoleInTx(em, org.id, u.id, 'editor')).role).toBe('editor');
    });
    const other = await t.createOrg();
    await db.withOrg(other.id, async (em) =>
      expect(await users.findByEmail(em, other.id, 'sso.user@example.test')).toBeNull(),
    );
  });

  it('custom roles: create, list after the built-ins, update, refuse deletion while held, delete', async () => {
    events.length = 0;
    const p = (await t.http().post('/api/v1/projects').set(owner()).send({ name: 'roles-p' }).expect(201)).body.id;
    const role = await t
      .http()
      .post('/api/v1/roles')
      .set(owner())
      .send({
        name: 'Flow runner',
        description: 'runs flows in one project',
        permissions: [
          { action: 'run', subject: 'Flow', conditions: { projectId: p.toUpperCase() } },
          { action: 'read', subject: 'Flow' },
        ],
      })
      .expect(201);
    expect(role.body.permissions[0].conditions).toEqual({ projectId: p });
    await t
      .http()
      .post('/api/v1/roles')
      .set(owner())
      .send({ name: 'flow RUNNER', permissions: [{ action: 'read', subject: 'Flow' }] })
      .expect(409);
    const list = await t.http().get('/api/v1/roles').set(owner()).expect(200);
    expect(list.body.items.slice(0, 4).map((r: { id: string }) => r.id)).toEqual([
      'owner',
      'admin',
      'editor',
      'viewer',
    ]);
    expect(list.body.items.map((r: { id: string }) => r.id)).toContain(role.body.id);
    const editor = (await t.http().get('/api/v1/roles/editor').set(owner()).expect(200)).body;
    expect(editor.builtIn).toBe(true);
    expect(editor.permissions).toEqual(
      expect.arrayContaining([{ action: 'rotate', subject: 'ApiKey', conditions: { ownerUserId: '$self' } }]),
    );
    await t.http().get('/api/v1/roles/superuser').set(owner()).expect(404);

    const holder = await createUser(t, org.id, role.body.id);
    await t.http().delete(`/api/v1/roles/${role.body.id}`).set(owner()).expect(409);
    await t.http().patch(`/api/v1/roles/${role.body.id}`).set(owner()).send({ name: 'Flow runner 2' }).expect(200);
    await t.http().patch(`/api/v1/users/${holder}`).set(owner()).send({ role: 'viewer' }).expect(200);
    await t.http().delete(`/api/v1/roles/${role.body.id}`).set(owner()).expect(204);
    await t.http().get(`/api/v1/roles/${role.body.id}`).set(owner()).expect(404);
    expect(actions()).toEqual([
      'project.created',
      'role.created',
      'user.created',
      'role.updated',
      'user.updated',
      'role.deleted',
    ]);
  });

  it('project members: set, change, list, remove; owner role and unknown users refused', async () => {
    events.length = 0;
    const p = (await t.http().post('/api/v1/projects').set(owner()).send({ name: 'members-p' }).expect(201)).body.id;
    const u = await createUser(t, org.id, 'viewer');
    const set = await t
      .http()
      .put(`/api/v1/projects/${p}/members/${u}`)
      .set(owner())
      .send({ role: 'editor' })
      .expect(200);
    expect(set.body).toMatchObject({ projectId: p, userId: u, role: 'editor' });
    await t.http().put(`/api/v1/projects/${p}/members/${u}`).set(owner()).send({ role: 'admin' }).expect(200);
    const list = await t.http().get(`/api/v1/projects/${p}/members`).set(owner()).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ userId: u, role: 'admin' })]);
    await t.http().put(`/api/v1/projects/${p}/members/${u}`).set(owner()).send({ role: 'owner' }).expect(400);
    await t
      .http()
      .put(`/api/v1/projects/${p}/members/0190a000-0000-7000-8000-00000000beef`)
      .set(owner())
      .send({ role: 'viewer' })
      .expect(404);
    await t
      .http()
      .put(`/api/v1/projects/0190a000-0000-7000-8000-00000000beef/members/${u}`)
      .set(owner())
      .send({ role: 'viewer' })
      .expect(404);
    await t.http().delete(`/api/v1/projects/${p}/members/${u}`).set(owner()).expect(204);
    await t.http().delete(`/api/v1/projects/${p}/members/${u}`).set(owner()).expect(404);
    expect(actions()).toEqual([
      'project.created',
      'user.created',
      'project_member.set',
      'project_member.set',
      'project_member.removed',
    ]);
    expect(events[3].metadata).toMatchObject({ before: { role: 'editor' }, after: { role: 'admin' } });
  });

  it('authz/check explains decisions, for oneself and (admins) for others', async () => {
    const ed = await userSession(t, org.id, 'editor');
    const p = (await t.http().post('/api/v1/projects').set(owner()).send({ name: 'authz-p' }).expect(201)).body.id;
    const check = (body: Record<string, unknown>, headers = ed.headers) =>
      t.http().post('/api/v1/authz/check').set(headers).send(body).expect(200);
    expect((await check({ action: 'update', subject: 'Flow' })).body).toEqual({
      allowed: true,
      reason: expect.stringContaining('org role editor'),
    });
    expect((await check({ action: 'create', subject: 'User' })).body).toEqual({
      allowed: false,
      reason: expect.stringContaining('No permission'),
    });
    expect((await check({ action: 'rotate', subject: 'ApiKey' })).body.reason).toContain('only where');
    expect((await check({ action: 'read', subject: 'Project', subjectId: p })).body.allowed).toBe(true);
    await t.http().put(`/api/v1/projects/${p}/members/${ed.userId}`).set(owner()).send({ role: 'viewer' }).expect(200);
    expect((await check({ action: 'update', subject: 'Project', subjectId: p })).body.allowed).toBe(false);
    expect((await check({ action: 'read', subject: 'Project', subjectId: p })).body.reason).toContain(
      `project role viewer in project ${p}`,
    );

    const other = await createUser(t, org.id, 'viewer');
    await t
      .http()
      .post('/api/v1/authz/check')
      .set(ed.headers)
      .send({ action: 'read', subject: 'Org', userId: other })
      .expect(404);
    const asAdmin = await check({ action: 'update', subject: 'Flow', userId: other }, owner());
    expect(asAdmin.body.allowed).toBe(false);
    expect((await check({ action: 'read', subject: 'Flow', userId: other }, owner())).body.allowed).toBe(true);
    expect((await check({ action: 'read', subject: 'Org', userId: ed.userId }, ed.headers)).body.allowed).toBe(true);
    await t.http().post('/api/v1/authz/check').set(ed.headers).send({ action: 'fly', subject: 'Flow' }).expect(400);
  });

  it('me lists project roles and effective permissions without the org condition', async () => {
    const s = await userSession(t, org.id, 'viewer');
    const me = (await t.http().get('/api/v1/auth/me').set(s.cookie).expect(200)).body;
    expect(me.projectRoles).toEqual([]);
    expect(me.permissions).toEqual(
      expect.arrayContaining([{ action: 'read', subject: 'Flow', source: 'org role viewer' }]),
    );
    expect(JSON.stringify(me.permissions)).not.toContain(org.id);
  });
});
