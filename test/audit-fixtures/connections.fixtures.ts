import { createProject } from '../utils/flow-helpers.js';
import { bearerOf, type RouteFixture, type WalkerContext } from './types.js';

const entry = (ctx: WalkerContext, action: string, id: string) => [
  {
    orgId: ctx.org.id,
    action,
    resourceType: 'connection',
    resourceId: id,
    actor: { type: 'api_key', id: ctx.owner.id },
  },
];

/** A project connection made with the owner key. */
async function newConnection(ctx: WalkerContext): Promise<string> {
  const projectId = await createProject(ctx.t, ctx.owner.key, ctx.unique('p'));
  const res = await ctx.t
    .http()
    .post('/api/v1/connections')
    .set(bearerOf(ctx.owner))
    .send({ name: ctx.unique('c'), type: 'bearer', projectId, data: { token: 'walker-token-secret' } })
    .expect(201);
  return res.body.id;
}

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /api/v1/connections',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .post('/api/v1/connections')
        .set(bearerOf(c))
        .send({ name: ctx.unique('c'), type: 'basic', data: { username: 'u', password: 'walker-password-secret' } }),
    expect: (ctx, _s, res) => entry(ctx, 'connection.created', res.body.id),
  },
  {
    route: 'PATCH /api/v1/connections/:connectionId',
    prepare: newConnection,
    call: (ctx, id: string, c) =>
      ctx.t
        .http()
        .patch(`/api/v1/connections/${id}`)
        .set(bearerOf(c))
        .send({ name: ctx.unique('renamed') }),
    expect: (ctx, id: string) => entry(ctx, 'connection.updated', id),
  },
  {
    route: 'DELETE /api/v1/connections/:connectionId',
    prepare: newConnection,
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/connections/${id}`).set(bearerOf(c)),
    expect: (ctx, id: string) => entry(ctx, 'connection.deleted', id),
  },
  {
    route: 'POST /api/v1/connections/:connectionId/test',
    notAudited: 'a check of the credentials against their endpoint: it changes no configuration',
    prepare: newConnection,
    call: (ctx, id: string, c) => ctx.t.http().post(`/api/v1/connections/${id}/test`).set(bearerOf(c)),
  },
  {
    route: 'POST /api/v1/connections/:connectionId/oauth2/authorize',
    notAudited:
      'starts a browser authorization; the connection changes (and is audited) when the callback stores the tokens',
    prepare: async (ctx) =>
      (
        await ctx.t
          .http()
          .post('/api/v1/connections')
          .set(bearerOf(ctx.owner))
          .send({
            name: ctx.unique('o'),
            type: 'oauth2',
            data: {
              grantType: 'authorization_code',
              clientId: 'c',
              clientSecret: 'walker-client-secret',
              tokenUrl: 'https://auth.example.test/token',
              authorizeUrl: 'https://auth.example.test/authorize',
            },
          })
          .expect(201)
      ).body.id,
    call: (ctx, id: string, c) => ctx.t.http().post(`/api/v1/connections/${id}/oauth2/authorize`).set(bearerOf(c)),
  },
];
