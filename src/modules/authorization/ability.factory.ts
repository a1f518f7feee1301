import { Injectable } from '@nestjs/common';
import { buildAbility, type AppAbility, type AppRule } from '../../core/authz/ability.js';
import type { Principal } from '../../core/context/request-context.js';
import {
  Invalidations,
  ProjectMembersService,
  RolesService,
  TtlCache,
  isBuiltInRole,
  type KeyAuthority,
  type ProjectRole,
} from '../identity/index.js';
import { uncoveredRule } from './coverage.js';
import { ROLE_MATRIX } from './role-matrix.js';
import {
  applyProjectRoles,
  baselineRules,
  grantsToRules,
  narrowToScopes,
  permissionsToRules,
  projectOnly,
} from './rules.js';

/**
 * Adds rules for a principal beyond its org and project roles: flow-level shares, plugins. Every rule a
 * contributor returns must be conditioned on the principal's org. A key's project limit and scopes still narrow
 * the result, and `accessibleWhere` must be able to translate it (equality, `$in`, `$nin` on columns).
 */
export interface AbilityContributor {
  readonly name: string;
  contribute(principal: Principal & { orgId: string }): Promise<AppRule[]>;
}

export interface RulesOptions {
  /** Project roles to apply instead of loading the principal's (e.g. none, for checking a grant). */
  projectRoles?: ProjectRole[];
  /** Skip contributors (grant checks consider roles only). */
  rolesOnly?: boolean;
}

const isUserLike = (p: Principal): boolean => p.type === 'user' || p.type === 'embed';
const AUTHORITY_CACHE_TTL_MS = 500;

/**
 * Builds one CASL ability per request from the principal: org role (built-in or custom) → project roles (override
 * inside their projects; never narrow an owner) → contributors → a key's project limit → a key's scopes →
 * reading the own org. Every rule is conditioned on the principal's org.
 */
@Injectable()
export class AbilityFactory {
  private readonly contributors: AbilityContributor[] = [];
  private readonly authorityVerdicts = new TtlCache<string, boolean>(AUTHORITY_CACHE_TTL_MS);

  constructor(
    private readonly roles: RolesService,
    private readonly members: ProjectMembersService,
    bus: Invalidations,
  ) {
    bus.subscribe((i) => {
      if (i.kind === 'user') this.authorityVerdicts.deleteWhere((k) => k.startsWith(`${i.id}:`));
      if (i.kind === 'role') this.authorityVerdicts.clear();
    });
  }

  /** Modules register contributors at init (e.g. flows registers flow-level shares). */
  registerContributor(contributor: AbilityContributor): void {
    this.contributors.push(contributor);
  }

  async createForPrincipal(principal: Principal, opts: RulesOptions = {}): Promise<AppAbility> {
    return buildAbility(await this.rulesFor(principal, opts));
  }

  async rulesFor(principal: Principal, opts: RulesOptions = {}): Promise<AppRule[]> {
    if (principal.type === 'platform' || !principal.orgId) return [];
    const orgId = principal.orgId;
    const self = selfOf(principal);
    let rules = await this.roleRules(orgId, principal.role ?? '', self, `org role ${principal.role}`);
    if (isUserLike(principal) && principal.role !== 'owner') {
      const assignments = opts.projectRoles ?? (await this.members.forUser(orgId, principal.id));
      const perProject = await Promise.all(
        assignments.map(async (a) => ({
          projectId: a.projectId,
          rules: await this.roleRules(orgId, a.role, self, `project role ${a.role} in project ${a.projectId}`),
        })),
      );
      rules = applyProjectRoles(rules, perProject);
    }
    if (!opts.rolesOnly) {
      for (const c of this.contributors)
        rules = rules.concat(inOrg(await c.contribute({ ...principal, orgId }), orgId));
    }
    if (principal.projectId) rules = projectOnly(rules, principal.projectId);
    if (principal.scopes) rules = narrowToScopes(rules, principal.scopes);
    return rules.concat(baselineRules(orgId));
  }

  /** A role's rules in the org (built-in matrix or custom permissions); an unknown role grants nothing. */
  async roleRules(orgId: string, role: string, self: string, reason: string): Promise<AppRule[]> {
    if (isBuiltInRole(role)) return grantsToRules(ROLE_MATRIX[role], orgId, self, reason);
    const resolved = await this.roles.resolve(orgId, role);
    if (!resolved || resolved.kind !== 'custom') return [];
    return permissionsToRules(resolved.permissions, orgId, self, `custom role ${resolved.name} (${resolved.id})`);
  }

  /**
   * Whether an API key still lies within its authority user's current rights (re-checked on use, cached ≤500 ms):
   * an owner-role key needs an owner, and every rule of the key must be covered by the user's ability.
   */
  keyWithinAuthority(principal: Principal, keyRules: AppRule[], authority: KeyAuthority): Promise<boolean> {
    return this.authorityVerdicts.get(`${authority.userId}:${principal.id}`, async () => {
      if (principal.role === 'owner' && authority.role !== 'owner') return false;
      const user: Principal = { type: 'user', id: authority.userId, orgId: principal.orgId, role: authority.role };
      const holder = buildAbility(await this.rulesFor(user));
      return uncoveredRule(holder, keyRules) === null;
    });
  }
}

/** Contributed rules are conditioned on the caller's org; a rule naming another org is dropped (fail closed). */
function inOrg(rules: AppRule[], orgId: string): AppRule[] {
  return rules
    .filter((r) => !r.inverted && [undefined, orgId].includes((r.conditions as { orgId?: string } | undefined)?.orgId))
    .map((r) => ({ ...r, conditions: { ...((r.conditions as object) ?? {}), orgId } }) as AppRule);
}

/**
 * Whose "own" resources a principal acts on (`$self`): a user's own id; a key's authority user (a key acts for
 * the user it was made by); a root key without one gets its own id, which owns nothing.
 */
export function selfOf(principal: Principal): string {
  return principal.type === 'api_key' ? (principal.createdBy ?? principal.id) : principal.id;
}
