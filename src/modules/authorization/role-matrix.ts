import type { Action, SubjectName } from '../../core/authz/ability.js';

export const BUILT_IN_ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

/** Rank for escalation checks: nobody grants a role ranked above their own. */
export const ROLE_RANK: Record<BuiltInRole, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };

type Grant = [Action | Action[], SubjectName];

const VIEWER: Grant[] = [
  ['read', 'Org'], ['read', 'Project'], ['read', 'ProjectMember'], ['read', 'User'], ['read', 'Role'],
  ['read', 'Flow'], ['read', 'Run'], ['read', 'Connection'], ['read', 'Plugin'],
];

const EDITOR: Grant[] = [
  ...VIEWER,
  [['create', 'update', 'delete', 'publish', 'run'], 'Flow'],
  [['create', 'update'], 'Run'],
  [['create', 'update', 'delete'], 'Connection'],
  ['read', 'SecretProvider'],
  [['read', 'create'], 'ApiKey'],
];

/**
 * The documented permission matrix of the built-in roles (README "Roles"). Every rule is additionally
 * conditioned on the principal's org by the ability factory. Admins manage everything but cannot act on
 * owners (enforced by the escalation rules in the services); owners manage everything.
 */
export const ROLE_MATRIX: Record<BuiltInRole, Grant[]> = {
  owner: [['manage', 'all']],
  admin: [['manage', 'all']],
  editor: EDITOR,
  viewer: VIEWER,
};
