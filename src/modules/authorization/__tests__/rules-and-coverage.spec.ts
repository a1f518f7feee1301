import { subject } from '@casl/ability';
import { describe, expect, it } from 'vitest';
import { buildAbility, type AppRule } from '../../../core/authz/ability.js';
import { uncoveredRule } from '../coverage.js';
import { ROLE_MATRIX } from '../role-matrix.js';
import { applyProjectRoles, grantsToRules, narrowToScopes, permissionsToRules, projectOnly } from '../rules.js';

const ORG = '0190a000-0000-7000-8000-000000000001';
const OTHER_ORG = '0190a000-0000-7000-8000-000000000002';
const P1 = '0190a000-0000-7000-8000-0000000000a1';
const P2 = '0190a000-0000-7000-8000-0000000000a2';
const U = '0190a000-0000-7000-8000-0000000000b1';

const role = (name: keyof typeof ROLE_MATRIX, self = U) => grantsToRules(ROLE_MATRIX[name], ORG, self, name);
const can = (rules: AppRule[], action: string, type: string, fields: Record<string, unknown>) =>
  buildAbility(rules).can(action as never, subject(type, { orgId: ORG, ...fields }) as never);

describe('project roles override the org role inside their project', () => {
  it('narrows an org editor who is viewer in P1, and only there', () => {
    const rules = applyProjectRoles(role('editor'), [{ projectId: P1, rules: role('viewer') }]);
    expect(can(rules, 'update', 'Flow', { projectId: P1 })).toBe(false);
    expect(can(rules, 'read', 'Flow', { projectId: P1 })).toBe(true);
    expect(can(rules, 'update', 'Flow', { projectId: P2 })).toBe(true);
    expect(can(rules, 'read', 'User', {})).toBe(true);
  });

  it('widens an org viewer who is admin in P1 for project subjects only', () => {
    const rules = applyProjectRoles(role('viewer'), [{ projectId: P1, rules: role('admin') }]);
    expect(can(rules, 'delete', 'Flow', { projectId: P1 })).toBe(true);
    expect(can(rules, 'update', 'ProjectMember', { projectId: P1 })).toBe(true);
    expect(can(rules, 'update', 'Project', { id: P1 })).toBe(true);
    expect(can(rules, 'update', 'Project', { id: P2 })).toBe(false);
    expect(can(rules, 'delete', 'Flow', { projectId: P2 })).toBe(false);
    expect(can(rules, 'create', 'User', {})).toBe(false); // a project role grants nothing org-wide
    expect(can(rules, 'read', 'Connection', {})).toBe(true); // org-level connection (no project): org role applies
  });

  it('never reaches another org', () => {
    const rules = role('admin');
    expect(buildAbility(rules).can('read', subject('Flow', { orgId: OTHER_ORG }) as never)).toBe(false);
  });
});

describe('scopes and project limits only narrow', () => {
  it('keeps the role conditions when narrowing', () => {
    const custom = permissionsToRules(
      [{ action: 'read', subject: 'Flow', conditions: { projectId: P1 } }],
      ORG,
      U,
      'custom',
    );
    const narrowed = narrowToScopes(custom, ['flow:read']);
    expect(can(narrowed, 'read', 'Flow', { projectId: P1 })).toBe(true);
    expect(can(narrowed, 'read', 'Flow', { projectId: P2 })).toBe(false);
    expect(narrowToScopes(role('viewer'), ['flow:delete'])).toEqual([]);
  });

  it('pins a project key to its project and drops org-level subjects', () => {
    const pinned = projectOnly(role('admin'), P1);
    expect(can(pinned, 'delete', 'Flow', { projectId: P1 })).toBe(true);
    expect(can(pinned, 'delete', 'Flow', { projectId: P2 })).toBe(false);
    expect(can(pinned, 'read', 'User', {})).toBe(false);
    expect(
      projectOnly(
        permissionsToRules([{ action: 'read', subject: 'Flow', conditions: { projectId: P2 } }], ORG, U, 'c'),
        P1,
      ),
    ).toEqual([]);
  });
});

describe('coverage: nobody grants more than they hold', () => {
  const holder = (rules: AppRule[]) => buildAbility(rules);

  it('orders the built-in roles', () => {
    expect(uncoveredRule(holder(role('admin')), role('owner'))).toBeNull(); // the owner rule is separate (GrantsService)
    expect(uncoveredRule(holder(role('editor')), role('viewer'))).toBeNull();
    expect(uncoveredRule(holder(role('editor')), role('editor'))).toBeNull();
    expect(uncoveredRule(holder(role('editor')), role('admin'))).not.toBeNull();
    expect(uncoveredRule(holder(role('viewer')), role('editor'))).not.toBeNull();
  });

  it('treats a field the grant leaves free as every value, including ones the holder carved out', () => {
    const editorViewerInP1 = applyProjectRoles(role('editor'), [{ projectId: P1, rules: role('viewer') }]);
    expect(uncoveredRule(holder(editorViewerInP1), role('viewer'))).toBeNull();
    expect(uncoveredRule(holder(editorViewerInP1), role('editor'))).not.toBeNull(); // update Flow in P1
    expect(uncoveredRule(holder(editorViewerInP1), projectOnly(role('editor'), P2))).toBeNull();
    expect(uncoveredRule(holder(editorViewerInP1), projectOnly(role('editor'), P1))).not.toBeNull();
  });

  it('handles $in conditions and "own" conditions', () => {
    const custom = permissionsToRules(
      [{ action: 'update', subject: 'Flow', conditions: { projectId: [P1, P2] } }],
      ORG,
      U,
      'c',
    );
    expect(uncoveredRule(holder(projectOnly(role('admin'), P1)), custom)).not.toBeNull();
    expect(uncoveredRule(holder(role('editor')), custom)).toBeNull();
    const ownKeys = permissionsToRules(
      [{ action: 'rotate', subject: 'ApiKey', conditions: { ownerUserId: '$self' } }],
      ORG,
      U,
      'c',
    );
    expect(uncoveredRule(holder(role('editor', U)), ownKeys)).toBeNull();
    const someoneElses = permissionsToRules(
      [{ action: 'rotate', subject: 'ApiKey', conditions: { ownerUserId: '$self' } }],
      ORG,
      P2,
      'c',
    );
    expect(uncoveredRule(holder(role('editor', U)), someoneElses)).not.toBeNull();
  });

  it('requires a holder rule on `all` to grant `all`', () => {
    const everySubject = permissionsToRules([{ action: 'read', subject: 'all' }], ORG, U, 'c');
    expect(uncoveredRule(holder(role('viewer')), everySubject)).not.toBeNull();
    expect(uncoveredRule(holder(role('admin')), everySubject)).toBeNull();
  });
});

// The ability factory's contributor handling runs against the real services: test/integration/ability-contributors.int-spec.ts.
