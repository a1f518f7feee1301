import { Database } from '../../src/core/database/database.js';
import { openSession } from '../utils/sessions.js';
import { bearerOf, type RouteFixture, type WalkerContext } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });
const asOwner = (ctx: WalkerContext) => bearerOf(ctx.owner);

/** Fresh resources made with the owner key (their own entries are written before the walker counts). */
const newUser = async (ctx: WalkerContext): Promise<string> =>
  (
    await ctx.t
      .http()
      .post('/api/v1/users')
      .set(asOwner(ctx))
      .send({ email: `${ctx.unique('u')}@walker.test`, role: 'viewer' })
      .expect(201)
  ).body.id;
const newKey = async (ctx: WalkerContext): Promise<string> =>
  (
    await ctx.t
      .http()
      .post('/api/v1/api-keys')
      .set(asOwner(ctx))
      .send({ name: ctx.unique('k'), role: 'viewer' })
      .expect(201)
  ).body.id;
const newRole = async (ctx: WalkerContext): Promise<string> =>
  (
    await ctx.t
      .http()
      .post('/api/v1/roles')
      .set(asOwner(ctx))
      .send({ name: ctx.unique('r'), permissions: [{ action: 'read', subject: 'Flow' }] })
      .expect(201)
  ).body.id;
const newProject = async (ctx: WalkerContext): Promise<string> =>
  (
    await ctx.t
      .http()
      .post('/api/v1/projects')
      .set(asOwner(ctx))
      .send({ name: ctx.unique('p') })
      .expect(201)
  ).body.id;

/** A project membership's row id (the audit resource id; the API addresses it by project and user). */
const membershipId = async (ctx: WalkerContext, projectId: string, userId: string): Promise<string> =>
  ctx.t.server.app.get(Database).withOrg(ctx.org.id, async (em) => {
    const rows = (await em.query(
      'SELECT id FROM project_member WHERE org_id = $1 AND project_id = $2 AND user_id = $3',
      [ctx.org.id, projectId, userId],
    )) as { id: string }[];
    return rows[0].id;
  });

interface Membership {
  projectId: string;
  userId: string;
}

const memberPath = (s: Membership) => `/api/v1/projects/${s.projectId}/members/${s.userId}`;

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /api/v1/users',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .post('/api/v1/users')
        .set(bearerOf(c))
        .send({ email: `${ctx.unique('new')}@walker.test`, role: 'viewer' }),
    expect: (ctx, _s, res) => [
      {
        orgId: ctx.org.id,
        action: 'user.created',
        resourceType: 'user',
        resourceId: res.body.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'PATCH /api/v1/users/:userId',
    prepare: newUser,
    call: (ctx, id: string, c) =>
      ctx.t.http().patch(`/api/v1/users/${id}`).set(bearerOf(c)).send({ displayName: 'Renamed' }),
    expect: (ctx, id: string) => [
      { orgId: ctx.org.id, action: 'user.updated', resourceType: 'user', resourceId: id, actor: actor(ctx.owner.id) },
    ],
  },
  {
    route: 'DELETE /api/v1/users/:userId',
    prepare: newUser,
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/users/${id}`).set(bearerOf(c)),
    // A fresh user holds no keys, so no `api_key.revoked` entries come with the deactivation.
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'user.deactivated',
        resourceType: 'user',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/api-keys',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .post('/api/v1/api-keys')
        .set(bearerOf(c))
        .send({ name: ctx.unique('key'), role: 'viewer' }),
    expect: (ctx, _s, res) => [
      {
        orgId: ctx.org.id,
        action: 'api_key.created',
        resourceType: 'api_key',
        resourceId: res.body.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'PATCH /api/v1/api-keys/:keyId',
    prepare: newKey,
    call: (ctx, id: string, c) =>
      ctx.t.http().patch(`/api/v1/api-keys/${id}`).set(bearerOf(c)).send({ name: 'renamed' }),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'api_key.updated',
        resourceType: 'api_key',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/api-keys/:keyId/rotate',
    prepare: newKey,
    call: (ctx, id: string, c) =>
      ctx.t.http().post(`/api/v1/api-keys/${id}/rotate`).set(bearerOf(c)).send({ gracePeriodSeconds: 60 }),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'api_key.rotated',
        resourceType: 'api_key',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'DELETE /api/v1/api-keys/:keyId',
    prepare: newKey,
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/api-keys/${id}`).set(bearerOf(c)),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'api_key.revoked',
        resourceType: 'api_key',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/roles',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .post('/api/v1/roles')
        .set(bearerOf(c))
        .send({ name: ctx.unique('role'), permissions: [{ action: 'read', subject: 'Flow' }] }),
    expect: (ctx, _s, res) => [
      {
        orgId: ctx.org.id,
        action: 'role.created',
        resourceType: 'role',
        resourceId: res.body.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'PATCH /api/v1/roles/:roleId',
    prepare: newRole,
    call: (ctx, id: string, c) =>
      ctx.t.http().patch(`/api/v1/roles/${id}`).set(bearerOf(c)).send({ description: 'changed' }),
    expect: (ctx, id: string) => [
      { orgId: ctx.org.id, action: 'role.updated', resourceType: 'role', resourceId: id, actor: actor(ctx.owner.id) },
    ],
  },
  {
    route: 'DELETE /api/v1/roles/:roleId',
    prepare: newRole,
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/roles/${id}`).set(bearerOf(c)),
    expect: (ctx, id: string) => [
      { orgId: ctx.org.id, action: 'role.deleted', resourceType: 'role', resourceId: id, actor: actor(ctx.owner.id) },
    ],
  },
  {
    route: 'PUT /api/v1/projects/:projectId/members/:userId',
    prepare: async (ctx): Promise<Membership> => ({ projectId: await newProject(ctx), userId: await newUser(ctx) }),
    call: (ctx, s: Membership, c) => ctx.t.http().put(memberPath(s)).set(bearerOf(c)).send({ role: 'editor' }),
    expect: async (ctx, s: Membership) => [
      {
        orgId: ctx.org.id,
        action: 'project_member.set',
        resourceType: 'project_member',
        resourceId: await membershipId(ctx, s.projectId, s.userId),
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'DELETE /api/v1/projects/:projectId/members/:userId',
    prepare: async (ctx) => {
      const s: Membership = { projectId: await newProject(ctx), userId: await newUser(ctx) };
      await ctx.t.http().put(memberPath(s)).set(asOwner(ctx)).send({ role: 'editor' }).expect(200);
      return { ...s, id: await membershipId(ctx, s.projectId, s.userId) };
    },
    call: (ctx, s: Membership, c) => ctx.t.http().delete(memberPath(s)).set(bearerOf(c)),
    expect: (ctx, s: Membership & { id: string }) => [
      {
        orgId: ctx.org.id,
        action: 'project_member.removed',
        resourceType: 'project_member',
        resourceId: s.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/auth/logout',
    noDenial: 'every signed-in user may end their own session (with an API key it is 400 no_session)',
    // Logout ends a browser session: the walker's key is not used; the session's own user signs out.
    prepare: async (ctx) => {
      const session = await openSession(ctx.t, ctx.org.id, await newUser(ctx));
      const id = await ctx.t.server.app
        .get(Database)
        .withOrg(
          ctx.org.id,
          async (em) =>
            (
              (await em.query('SELECT id FROM app_session WHERE org_id = $1 AND user_id = $2', [
                ctx.org.id,
                session.userId,
              ])) as { id: string }[]
            )[0].id,
        );
      return { ...session, id };
    },
    call: (ctx, s: { headers: Record<string, string> }) => ctx.t.http().post('/api/v1/auth/logout').set(s.headers),
    expect: (ctx, s: { id: string; userId: string }) => [
      {
        orgId: ctx.org.id,
        action: 'auth.logout',
        resourceType: 'session',
        resourceId: s.id,
        actor: { type: 'user', id: s.userId },
      },
    ],
  },
  {
    route: 'POST /api/v1/authz/check',
    notAudited: 'a question served over POST: it changes nothing',
    noDenial: 'everyone may ask about themselves',
    call: (ctx, _s, c) =>
      ctx.t.http().post('/api/v1/authz/check').set(bearerOf(c)).send({ action: 'read', subject: 'Project' }),
  },
];
