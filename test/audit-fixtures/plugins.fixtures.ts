import { bearerOf, type RouteFixture } from './types.js';

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'PUT /api/v1/plugins/:pluginName/config',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .put('/api/v1/plugins/publish-window/config')
        .set(bearerOf(c))
        .send({ enabled: false, settings: { startHour: 9, endHour: 17 } }),
    expect: (ctx) => [
      {
        orgId: ctx.org.id,
        action: 'plugin.configured',
        resourceType: 'plugin',
        resourceId: 'publish-window',
        actor: { type: 'api_key', id: ctx.owner.id },
      },
    ],
  },
];
