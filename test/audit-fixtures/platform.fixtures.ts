import { bearerOf, type RouteFixture } from './types.js';

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /api/v1/platform/orgs',
    as: 'platform',
    call: (ctx, _s, c) => {
      const slug = ctx.unique('walker');
      return ctx.t.http().post('/api/v1/platform/orgs').set(bearerOf(c)).send({ name: slug, slug });
    },
    // An org is born with its owner key: two changes, two entries, both in the new org's chain.
    expect: (ctx, _s, res) => [
      {
        orgId: res.body.org.id,
        action: 'org.created',
        resourceType: 'org',
        resourceId: res.body.org.id,
        actor: { type: 'platform', id: ctx.platform.id },
      },
      {
        orgId: res.body.org.id,
        action: 'api_key.created',
        resourceType: 'api_key',
        resourceId: res.body.ownerApiKey.id,
        actor: { type: 'platform', id: ctx.platform.id },
      },
    ],
  },
  {
    route: 'PATCH /api/v1/platform/orgs/:orgId',
    as: 'platform',
    prepare: async (ctx) => (await ctx.t.createOrg(ctx.unique('target'))).id,
    call: (ctx, orgId: string, c) =>
      ctx.t.http().patch(`/api/v1/platform/orgs/${orgId}`).set(bearerOf(c)).send({ status: 'suspended' }),
    expect: (ctx, orgId: string) => [
      {
        orgId,
        action: 'org.updated',
        resourceType: 'org',
        resourceId: orgId,
        actor: { type: 'platform', id: ctx.platform.id },
      },
    ],
  },
];
