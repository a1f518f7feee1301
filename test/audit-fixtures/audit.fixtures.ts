import { bearerOf, type RouteFixture } from './types.js';

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'PUT /api/v1/audit-settings',
    call: (ctx, _s, c) => ctx.t.http().put('/api/v1/audit-settings').set(bearerOf(c)).send({ retentionDays: 400 }),
    expect: (ctx) => [
      {
        orgId: ctx.org.id,
        action: 'audit_settings.updated',
        resourceType: 'audit_settings',
        resourceId: ctx.org.id,
        actor: { type: 'api_key', id: ctx.owner.id },
      },
    ],
  },
];
