import { subject } from '@casl/ability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRule } from '../../src/core/authz/ability.js';
import { AbilityFactory } from '../../src/modules/authorization/index.js';
import { createUser } from '../utils/sessions.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * The real ability factory of a running application (its real role, member and event services), with a careless
 * contributor registered: what it contributes is conditioned on the caller's org, and a rule naming another org
 * is dropped (fail closed).
 */
describe('ability factory contributors', () => {
  let t: TestApp;
  let org: TestOrg;
  let other: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    other = await t.createOrg();
  });
  afterAll(() => t.close());

  it("conditions contributed rules on the caller's org and drops rules naming another org", async () => {
    const factory = t.server.app.get(AbilityFactory);
    factory.registerContributor({
      name: 'careless',
      contribute: async () => [
        { action: 'read', subject: 'Flow' } as AppRule,
        { action: 'delete', subject: 'Flow', conditions: { orgId: other.id } } as AppRule,
      ],
    });
    const userId = await createUser(t, org.id, 'viewer');
    const ability = await factory.createForPrincipal({ type: 'user', id: userId, orgId: org.id, role: 'viewer' });
    expect(ability.can('read', subject('Flow', { orgId: other.id }) as never)).toBe(false);
    expect(ability.can('delete', subject('Flow', { orgId: other.id }) as never)).toBe(false);
    expect(ability.can('delete', subject('Flow', { orgId: org.id }) as never)).toBe(false); // a rule for another org is dropped
    expect(ability.can('read', subject('Flow', { orgId: org.id }) as never)).toBe(true);
    expect(ability.can('update', subject('Flow', { orgId: org.id }) as never)).toBe(false); // the viewer role itself, unchanged
  });
});
