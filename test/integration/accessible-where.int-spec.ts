import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAbility, type AppRule } from '../../src/core/authz/ability.js';
import { RequestContextStore } from '../../src/core/context/request-context.js';
import { Database } from '../../src/core/database/database.js';
import { accessibleSql, accessibleWhere } from '../../src/core/http/policies.js';
import { ApiKeyEntity, ApiKeysService } from '../../src/modules/identity/index.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { subject } from '@casl/ability';

/**
 * Lists are filtered in SQL from the ability's rules; the SQL must select exactly the rows the ability allows,
 * including `$nin` on a nullable column (CASL: an absent field is "not in"; SQL: NULL NOT IN is unknown).
 */
describe('accessibleWhere and accessibleSql agree with the ability, row by row, in SQL', () => {
  let t: TestApp;
  let org: TestOrg;
  const projects: string[] = [];
  const keyIds: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    for (const name of ['aw-1', 'aw-2'])
      projects.push(
        (
          await t
            .http()
            .post('/api/v1/projects')
            .set({ Authorization: `Bearer ${org.ownerKey}` })
            .send({ name })
            .expect(201)
        ).body.id,
      );
    const keys = t.server.app.get(ApiKeysService);
    await t.server.app.get(Database).withOrg(org.id, async (em) => {
      for (const projectId of [projects[0], projects[1], null]) {
        keyIds.push(
          (await keys.insert(em, { orgId: org.id, name: 'aw', role: 'viewer', projectId, createdByType: 'system' }))
            .entity.id,
        );
      }
    });
  });
  afterAll(() => t.close());

  const cases: [string, Record<string, unknown>[]][] = [
    ['$nin', [{ projectId: { $nin: ['P0'] } }]],
    ['$in', [{ projectId: { $in: ['P0', 'P1'] } }]],
    ['equality or $nin', [{ projectId: 'P1' }, { id: { $nin: ['K2'] } }]],
    ['unconditional', [{}]],
  ];

  for (const [name, conds] of cases) {
    it(name, async () => {
      const fill = (v: unknown): unknown =>
        typeof v === 'string'
          ? v.replace(/^P(\d)$/, (_m, i: string) => projects[+i]).replace(/^K(\d)$/, (_m, i: string) => keyIds[+i])
          : Array.isArray(v)
            ? v.map(fill)
            : v && typeof v === 'object'
              ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
              : v;
      const rules = conds.map(
        (c) =>
          ({ action: 'read', subject: 'ApiKey', conditions: { orgId: org.id, ...(fill(c) as object) } }) as AppRule,
      );
      const ability = buildAbility(rules);
      const db = t.server.app.get(Database);
      const all = await db.withOrg(org.id, (em) => em.getRepository(ApiKeyEntity).findBy({ orgId: org.id }));
      const expected = all
        .filter((k) =>
          ability.can(
            'read',
            subject('ApiKey', { orgId: k.orgId, id: k.id, projectId: k.projectId ?? undefined }) as never,
          ),
        )
        .map((k) => k.id)
        .sort();
      const got = await RequestContextStore.run({ requestId: 't', ability }, async () => {
        const where = accessibleWhere<ApiKeyEntity>('read', 'ApiKey');
        const rows = await db.withOrg(org.id, (em) =>
          em.getRepository(ApiKeyEntity).find({ where: (where ?? [{}]).map((w) => ({ ...w, orgId: org.id })) }),
        );
        return rows.map((k) => k.id).sort();
      });
      expect(got).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
      const viaSql = await RequestContextStore.run({ requestId: 't', ability }, async () => {
        const params: unknown[] = [org.id];
        const visible = accessibleSql('read', 'ApiKey', { id: 'id', projectId: 'project_id' }, params);
        const rows = await db.readOrg<{ id: string }>(
          org.id,
          `SELECT id FROM api_key WHERE org_id = $1${visible ? ` AND ${visible}` : ''}`,
          params,
        );
        return rows.map((r) => r.id).sort();
      });
      expect(viaSql).toEqual(expected);
    });
  }
});
