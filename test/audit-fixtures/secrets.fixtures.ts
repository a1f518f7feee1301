import { Database } from '../../src/core/database/database.js';
import { bearerOf, type RouteFixture, type WalkerContext } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });

/** The provider's row id (the audit resource id; the API addresses it by name). */
const providerId = (ctx: WalkerContext, name: string): Promise<string> =>
  ctx.t.server.app.get(Database).withOrg(
    ctx.org.id,
    async (em) =>
      (
        (await em.query('SELECT id FROM secret_provider WHERE org_id = $1 AND name = $2', [ctx.org.id, name])) as {
          id: string;
        }[]
      )[0].id,
  );

const envProvider = { type: 'env', config: {} };

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'PUT /api/v1/secret-providers/:name',
    prepare: (ctx) => Promise.resolve(ctx.unique('sp')),
    call: (ctx, name: string, c) =>
      ctx.t.http().put(`/api/v1/secret-providers/${name}`).set(bearerOf(c)).send(envProvider),
    expect: async (ctx, name: string) => [
      {
        orgId: ctx.org.id,
        action: 'secret_provider.updated',
        resourceType: 'secret_provider',
        resourceId: await providerId(ctx, name),
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'DELETE /api/v1/secret-providers/:name',
    prepare: async (ctx) => {
      const name = ctx.unique('sp');
      await ctx.t.http().put(`/api/v1/secret-providers/${name}`).set(bearerOf(ctx.owner)).send(envProvider).expect(200);
      return { name, id: await providerId(ctx, name) };
    },
    call: (ctx, s: { name: string }, c) => ctx.t.http().delete(`/api/v1/secret-providers/${s.name}`).set(bearerOf(c)),
    expect: (ctx, s: { id: string }) => [
      {
        orgId: ctx.org.id,
        action: 'secret_provider.deleted',
        resourceType: 'secret_provider',
        resourceId: s.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/secret-providers/:name/test',
    notAudited: 'a connectivity check: it changes nothing and returns no value',
    call: (ctx, _s, c) => ctx.t.http().post('/api/v1/secret-providers/none/test').set(bearerOf(c)).send({}),
  },
];
