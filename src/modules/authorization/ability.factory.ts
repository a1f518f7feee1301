import { Injectable } from '@nestjs/common';
import { buildAbility, type Action, type AppAbility, type AppRule, type SubjectName } from '../../core/authz/ability.js';
import type { Principal } from '../../core/context/request-context.js';
import { ROLE_MATRIX, type BuiltInRole } from './role-matrix.js';

/** Subjects that live inside a project; a project-limited key reaches them only in its project. */
const PROJECT_SUBJECTS: Partial<Record<SubjectName, string>> = { Project: 'id', Flow: 'projectId', Run: 'projectId', Connection: 'projectId', ProjectMember: 'projectId' };

/**
 * Adds rules for a principal beyond its org role: project-level role assignments, flow-level shares, plugins.
 * Every rule a contributor returns must be conditioned on the principal's org. Scopes and project limits of an
 * API key still narrow the result.
 */
export interface AbilityContributor {
  readonly name: string;
  contribute(principal: Principal & { orgId: string }): Promise<AppRule[]>;
}

/** Builds one CASL ability per request from the principal; every rule is conditioned on the principal's org. */
@Injectable()
export class AbilityFactory {
  private readonly contributors: AbilityContributor[] = [];

  /** Modules register contributors at init (e.g. flows registers flow-level shares). */
  registerContributor(contributor: AbilityContributor): void {
    this.contributors.push(contributor);
  }

  async createForPrincipal(principal: Principal): Promise<AppAbility> {
    if (principal.type === 'platform' || !principal.orgId) return buildAbility([]);
    const orgId = principal.orgId;
    let rules = this.roleRules(principal.role ?? '', orgId);
    for (const c of this.contributors) rules = rules.concat(await c.contribute({ ...principal, orgId }));
    if (principal.projectId) rules = this.limitToProject(rules, principal.projectId);
    if (principal.scopes) rules = this.narrowToScopes(rules, principal.scopes, orgId, principal.projectId ?? undefined);
    return buildAbility(rules);
  }

  roleRules(role: string, orgId: string): AppRule[] {
    const grants = ROLE_MATRIX[role as BuiltInRole] ?? [];
    return grants.map(([action, subject]) => ({ action, subject, conditions: { orgId } }) as AppRule);
  }

  /** Keeps only project subjects, pinned to the project, plus reading the org itself. */
  private limitToProject(rules: AppRule[], projectId: string): AppRule[] {
    const out: AppRule[] = [];
    for (const r of rules) {
      const subjects = (r.subject === 'all' ? Object.keys(PROJECT_SUBJECTS) : [r.subject]) as SubjectName[];
      for (const s of subjects) {
        const field = PROJECT_SUBJECTS[s];
        if (field) out.push({ ...r, subject: s, conditions: { ...(r.conditions as object), [field]: projectId } } as AppRule);
      }
    }
    out.push({ action: 'read', subject: 'Org', conditions: (rules[0]?.conditions as object) ?? {} } as AppRule);
    return out;
  }

  /** Scopes (`flow:publish`) narrow: a scope yields a rule only where the role already allows it. */
  private narrowToScopes(rules: AppRule[], scopes: string[], orgId: string, projectId?: string): AppRule[] {
    const role = buildAbility(rules);
    const out: AppRule[] = [];
    for (const scope of scopes) {
      const [res, action] = scope.split(':');
      const subject = (res.replace(/(^|_)(\w)/g, (_m, _u, c: string) => c.toUpperCase())) as SubjectName;
      if (!role.can(action as Action, subject as never)) continue;
      const field = projectId ? PROJECT_SUBJECTS[subject] : undefined;
      out.push({ action, subject, conditions: field ? { orgId, [field]: projectId } : { orgId } } as AppRule);
    }
    return out;
  }
}
