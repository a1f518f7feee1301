import type { AccountRules } from '../sso.types.js';

/**
 * The role an IdP identity gets at this sign-in: the first mapping (in configured order) whose group the user has,
 * else the default role, else none (refused). Groups are compared exactly, case-sensitively.
 */
export function resolveRole(
  rules: Pick<AccountRules, 'roleMappings' | 'defaultRole'>,
  groups: readonly string[],
): string | null {
  const held = new Set(groups);
  for (const m of rules.roleMappings) if (held.has(m.group)) return m.role;
  return rules.defaultRole;
}
