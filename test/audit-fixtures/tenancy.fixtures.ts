import { bearerOf, type RouteFixture } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'PATCH /api/v1/org',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .patch('/api/v1/org')
        .set(bearerOf(c))
        .send({ name: ctx.unique('renamed') }),
    expect: (ctx) => [
      {
        orgId: ctx.org.id,
        action: 'org.updated',
        resourceType: 'org',
        resourceId: ctx.org.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/projects',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .post('/api/v1/projects')
        .set(bearerOf(c))
        .send({ name: ctx.unique('project') }),
    expect: (ctx, _s, res) => [
      {
        orgId: ctx.org.id,
        action: 'project.created',
        resourceType: 'project',
        resourceId: res.body.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'PATCH /api/v1/projects/:projectId',
    prepare: async (ctx) =>
      (
        await ctx.t
          .http()
          .post('/api/v1/projects')
          .set(bearerOf(ctx.owner))
          .send({ name: ctx.unique('p') })
          .expect(201)
      ).body.id as string,
    call: (ctx, id: string, c) =>
      ctx.t.http().patch(`/api/v1/projects/${id}`).set(bearerOf(c)).send({ description: 'changed' }),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'project.updated',
        resourceType: 'project',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'DELETE /api/v1/projects/:projectId',
    prepare: async (ctx) =>
      (
        await ctx.t
          .http()
          .post('/api/v1/projects')
          .set(bearerOf(ctx.owner))
          .send({ name: ctx.unique('p') })
          .expect(201)
      ).body.id as string,
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/projects/${id}`).set(bearerOf(c)),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'project.deleted',
        resourceType: 'project',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
];
