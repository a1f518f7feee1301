/** The built-in roles: fixed, immutable, identified by name (custom roles are identified by their UUID). */
export const BUILT_IN_ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

/** Roles a project-level assignment may carry: ownership is org-wide only. */
export const PROJECT_BUILT_IN_ROLES = ['admin', 'editor', 'viewer'] as const;

export const isBuiltInRole = (role: string): role is BuiltInRole =>
  (BUILT_IN_ROLES as readonly string[]).includes(role);
