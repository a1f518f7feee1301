/// <reference types="vite/client" />
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/core/database/database.js';
import { AUDIT_ACTIONS } from '../../src/modules/audit/index.js';
import { ApiKeysService, PlatformKeysService } from '../../src/modules/identity/index.js';
import { auditClients, auditMark, auditSince, type StoredEntry } from '../utils/audit-db.js';
import { TEST_ENCRYPTION_KEY } from '../utils/idp/sso-test-kit.js';
import { registeredRoutes } from '../utils/routes.js';
import { createTestApp, uniqueSlug } from '../utils/test-app.js';
import type { Credential, ExpectedEntry, RouteFixture, WalkerContext } from '../audit-fixtures/types.js';

/**
 * Must show 1. Walks every route the Express router has (so routes added later are covered): each mutating route
 * needs a fixture in test/audit-fixtures/*.fixtures.ts; its successful call must write exactly the expected entries
 * (action, actor, resource, org), and the same call by a viewer must be refused with 403 and exactly one `denied`
 * entry. Reads write nothing (a 403 read writes its denial).
 */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE', '_ALL']);
const PLATFORM_ORG = '00000000-0000-0000-0000-000000000000';

// The SSO fixtures store an OIDC client secret: a fixed key keeps the secret box from writing a key file.
// One example plugin is loaded so that its configuration route can succeed (plugins are off by default).
const t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, TENANTFLOW_PLUGINS: 'publish-window' });
const routes: string[] = [];
for (const layer of (
  t.server.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  }
).router.stack) {
  if (!layer.route) continue;
  for (const m of Object.keys(layer.route.methods)) routes.push(`${m.toUpperCase()} ${layer.route.path}`);
}
// The policy each route declares: a denial by the guard names its subject as the resource type.
const policies = new Map(registeredRoutes(t.server).map((r) => [`${r.method} ${r.path}`, r.policy]));
const mutating = routes.filter((r) => MUTATING.has(r.split(' ')[0]));
const reads = routes.filter((r) => r.startsWith('GET '));

const fixtures = new Map<string, RouteFixture<unknown>>();
for (const [file, mod] of Object.entries(
  import.meta.glob<{ fixtures: RouteFixture<unknown>[] }>('../audit-fixtures/*.fixtures.ts', { eager: true }),
)) {
  for (const f of mod.fixtures) {
    if (fixtures.has(f.route)) throw new Error(`${file}: a second fixture for ${f.route}`);
    fixtures.set(f.route, f);
  }
}

describe('audit route walker', () => {
  let ctx: WalkerContext;
  let owner: pg.Client;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ owner, close } = await auditClients());
    const org = await t.createOrg();
    const keys = t.server.app.get(ApiKeysService);
    const key = (role: string) =>
      t.server.app.get(Database).withOrg(org.id, async (em) => {
        const { entity, key: k } = await keys.insert(em, {
          orgId: org.id,
          name: `walker ${role}`,
          role,
          createdByType: 'system',
        });
        return { id: entity.id, key: k } satisfies Credential;
      });
    ctx = {
      t,
      org: { id: org.id, slug: org.slug },
      owner: await key('owner'),
      viewer: await key('viewer'),
      platform: await t.server.app.get(PlatformKeysService).create('walker platform'),
      unique: uniqueSlug,
    };
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('finds the routes in the router', () => {
    expect(mutating).toEqual(
      expect.arrayContaining(['POST /api/v1/projects', 'PATCH /api/v1/org', 'POST /api/v1/platform/orgs']),
    );
  });

  it('has a fixture for every mutating route, and none for a route that is gone', () => {
    expect(
      mutating.filter((r) => !fixtures.has(r)),
      'mutating routes without a fixture in test/audit-fixtures',
    ).toEqual([]);
    expect(
      [...fixtures.keys()].filter((r) => !mutating.includes(r)),
      'fixtures for routes the router does not have',
    ).toEqual([]);
  });

  for (const route of mutating) {
    const fx = fixtures.get(route);
    if (!fx || fx.notAudited) continue;

    it(`${route}: a success writes exactly its entries`, async () => {
      const state = await fx.prepare?.(ctx);
      const mark = await auditMark(owner);
      const res = await fx.call(ctx, state, fx.as === 'platform' ? ctx.platform : ctx.owner);
      if (fx.status !== undefined) expect(res.status, JSON.stringify(res.body)).toBe(fx.status);
      else {
        expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(200);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      }
      const written = await auditSince(owner, mark);
      const expected = await fx.expect!(ctx, state, res);
      expect(written.map(summary)).toEqual(expect.arrayContaining(expected.map(normalize)));
      expect(written).toHaveLength(expected.length);
      for (const e of expected) expect(AUDIT_ACTIONS.has(e.action), `${e.action} is in the catalogue`).toBe(true);
    });

    if (fx.noDenial) continue;
    it(`${route}: a 403 writes exactly one denied entry`, async () => {
      const state = await fx.prepare?.(ctx);
      const mark = await auditMark(owner);
      const res = await fx.call(ctx, state, ctx.viewer);
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      const written = await auditSince(owner, mark);
      expect(written.map(summary)).toEqual([
        normalize({
          orgId: ctx.org.id,
          action: 'authz.denied',
          resourceType: policies.get(route)?.subject ?? 'route',
          resourceId: null,
          actor: { type: 'api_key', id: ctx.viewer.id },
          outcome: 'denied',
        }),
      ]);
      const [method, path] = route.split(' ');
      expect(written[0].metadata).toMatchObject({ method, route: path });
    });
  }

  it('reads write nothing, except a denial', async () => {
    for (const route of reads) {
      const path = route.slice(4).replace(/:[A-Za-z]+/g, () => randomUUID());
      const mark = await auditMark(owner);
      const res = await t.http().get(path).set('Authorization', `Bearer ${ctx.owner.key}`);
      const written = await auditSince(owner, mark);
      if (res.status === 403)
        expect(
          written.map((w) => [w.action, w.outcome]),
          route,
        ).toEqual([['authz.denied', 'denied']]);
      else
        expect(
          written.map((w) => w.action),
          `${route} answered ${res.status}`,
        ).toEqual([]);
    }
  });
});

function summary(e: StoredEntry): ExpectedEntry {
  return {
    orgId: e.org_id === PLATFORM_ORG ? null : e.org_id,
    action: e.action,
    resourceType: e.resource_type,
    resourceId: e.resource_id,
    actor: { type: e.actor_type, id: e.actor_id },
    outcome: e.outcome as ExpectedEntry['outcome'],
  };
}

function normalize(e: ExpectedEntry): ExpectedEntry {
  return { ...e, outcome: e.outcome ?? 'success' };
}
