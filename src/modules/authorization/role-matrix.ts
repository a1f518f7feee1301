import type { Action, SubjectName } from '../../core/authz/ability.js';
import { BUILT_IN_ROLES, SELF, type BuiltInRole } from '../identity/index.js';

export { BUILT_IN_ROLES, type BuiltInRole };

/** Rank for the owner rule: only an owner grants `owner` or acts on an owner (user, owner-role key). */
export const ROLE_RANK: Record<BuiltInRole, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };

/** `[actions, subject, conditions?]`; conditions use the custom-role vocabulary (`$self` = the holder). */
export type Grant = [Action | Action[], SubjectName, Record<string, unknown>?];

const VIEWER: Grant[] = [
  ['read', 'Org'],
  ['read', 'Project'],
  ['read', 'ProjectMember'],
  ['read', 'User'],
  ['read', 'Role'],
  ['read', 'Flow'],
  ['read', 'Run'],
  ['read', 'Connection'],
  ['read', 'Plugin'],
];

const EDITOR: Grant[] = [
  ...VIEWER,
  [['create', 'update', 'delete', 'publish', 'run'], 'Flow'],
  [['create', 'update'], 'Run'],
  // Project connections only: org connections (shared by every project, offered to embedded ones) are for admins.
  [['create', 'update', 'delete'], 'Connection', { scope: 'project' }],
  ['read', 'SecretProvider'],
  ['create', 'ApiKey'],
  [['read', 'update', 'rotate', 'delete'], 'ApiKey', { ownerUserId: SELF }],
];

/**
 * The documented permission matrix of the built-in roles (docs/roles.md). The ability factory conditions every
 * rule on the principal's org. Admins and owners both manage everything; what only an owner may do (grant
 * `owner`, change or deactivate an owner, rotate or revoke an owner-role key) is enforced by `GrantsService`.
 */
export const ROLE_MATRIX: Record<BuiltInRole, Grant[]> = {
  owner: [['manage', 'all']],
  admin: [['manage', 'all']],
  editor: EDITOR,
  viewer: VIEWER,
};
