import { SUBJECTS, type Action, type AppRule, type SubjectName } from '../../core/authz/ability.js';
import { OWNED_SUBJECT_FIELDS, PROJECT_SUBJECT_FIELDS, SELF, type PermissionSpec } from '../identity/index.js';
import type { Grant } from './role-matrix.js';
import { parseScope } from './scopes.js';

/**
 * Pure rule algebra for the ability factory. Every rule it produces is a positive (`can`) rule whose conditions
 * include `orgId` and otherwise only equality, `$in` and `$nin` on columns: exactly what `accessibleWhere`
 * translates to SQL, so list filtering and instance checks always agree.
 */
type Conds = Record<string, unknown>;
const CONCRETE_SUBJECTS = SUBJECTS.filter((s) => s !== 'all') as SubjectName[];

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const subjectsOf = (r: AppRule): SubjectName[] => asArray(r.subject as SubjectName | SubjectName[]);
const actionsOf = (r: AppRule): Action[] => asArray(r.action as Action | Action[]);
const rule = (action: Action | Action[], subject: SubjectName, conditions: Conds, reason: string): AppRule =>
  ({ action, subject, conditions, reason }) as AppRule;

/** Replaces the `$self` placeholder with the holder's id. */
function substituteSelf(conds: Conds | undefined, self: string): Conds {
  const out: Conds = {};
  for (const [k, v] of Object.entries(conds ?? {})) out[k] = v === SELF ? self : v;
  return out;
}

/** Built-in grants → org-conditioned rules. */
export function grantsToRules(grants: Grant[], orgId: string, self: string, reason: string): AppRule[] {
  return grants.map(([action, subject, conds]) =>
    rule(action, subject, { ...substituteSelf(conds, self), orgId }, reason),
  );
}

/** Custom-role permissions (already validated against the vocabulary) → org-conditioned rules. */
export function permissionsToRules(perms: PermissionSpec[], orgId: string, self: string, reason: string): AppRule[] {
  return perms.map((p) => {
    const subject = p.subject as SubjectName;
    const conds: Conds = { orgId };
    const project = p.conditions?.projectId;
    if (project !== undefined)
      conds[PROJECT_SUBJECT_FIELDS[subject]!] = Array.isArray(project) ? { $in: project } : project;
    if (p.conditions?.ownerUserId !== undefined) conds[OWNED_SUBJECT_FIELDS[subject]!] = self;
    return rule(p.action as Action, subject, conds, reason);
  });
}

/** One rule per concrete subject (an `all` rule expanded), so per-subject project fields can be added. */
function perSubject(r: AppRule): AppRule[] {
  return subjectsOf(r).flatMap((s) =>
    (s === 'all' ? CONCRETE_SUBJECTS : [s]).map((x) => ({ ...r, subject: x }) as AppRule),
  );
}

/** The rule restricted to one project, or null when its own conditions exclude that project. */
export function pinToProject(r: AppRule, projectId: string, reason?: string): AppRule | null {
  const field = PROJECT_SUBJECT_FIELDS[r.subject as SubjectName];
  if (!field) return null;
  const conds = { ...(r.conditions as Conds) };
  const existing = conds[field];
  if (existing !== undefined) {
    const allowed =
      typeof existing === 'object' && existing && '$in' in existing ? (existing as { $in: string[] }).$in : [existing];
    if (!allowed.includes(projectId)) return null;
  }
  conds[field] = projectId;
  return { ...r, conditions: conds, reason: reason ?? r.reason } as AppRule;
}

/** The rule with the given projects carved out (a project role replaces the org role there), or null if nothing is left. */
function excludeProjects(r: AppRule, projectIds: string[]): AppRule | null {
  const field = PROJECT_SUBJECT_FIELDS[r.subject as SubjectName];
  if (!field || projectIds.length === 0) return r;
  const conds = { ...(r.conditions as Conds) };
  const existing = conds[field];
  if (existing === undefined) conds[field] = { $nin: projectIds };
  else if (typeof existing === 'object' && existing && '$in' in existing) {
    const left = (existing as { $in: string[] }).$in.filter((p) => !projectIds.includes(p));
    if (!left.length) return null;
    conds[field] = { $in: left };
  } else if (typeof existing === 'object' && existing && '$nin' in existing) {
    conds[field] = { $nin: [...new Set([...(existing as { $nin: string[] }).$nin, ...projectIds])] };
  } else if (projectIds.includes(existing as string)) return null;
  return { ...r, conditions: conds } as AppRule;
}

/**
 * Project roles override the org role inside their projects: org rules on project subjects lose those projects,
 * and each project role's rules on project subjects are pinned to its project. A project role grants nothing
 * outside its project (its rules on org-level subjects are ignored).
 */
export function applyProjectRoles(
  orgRules: AppRule[],
  projectRules: { projectId: string; rules: AppRule[] }[],
): AppRule[] {
  if (!projectRules.length) return orgRules;
  const ids = projectRules.map((p) => p.projectId);
  const out: AppRule[] = [];
  for (const r of orgRules.flatMap(perSubject)) {
    const kept = excludeProjects(r, ids);
    if (kept) out.push(kept);
  }
  for (const p of projectRules) out.push(...projectOnly(p.rules, p.projectId));
  return out;
}

/** Only the rules on project subjects, pinned to the project. */
export function projectOnly(rules: AppRule[], projectId: string, reason?: string): AppRule[] {
  return rules
    .flatMap(perSubject)
    .map((r) => pinToProject(r, projectId, reason))
    .filter((r): r is AppRule => r !== null);
}

/** Scopes keep only what they name, with the role's own conditions: never more than the role. */
export function narrowToScopes(rules: AppRule[], scopes: string[]): AppRule[] {
  const out: AppRule[] = [];
  for (const scope of scopes) {
    const pair = parseScope(scope);
    if (!pair) continue;
    for (const r of rules) {
      const subjects = subjectsOf(r);
      if (!subjects.includes(pair.subject) && !subjects.includes('all')) continue;
      const actions = actionsOf(r);
      let action: Action | Action[] | null = null;
      if (pair.action === 'manage') action = actions;
      else if (actions.includes(pair.action) || actions.includes('manage')) action = pair.action;
      if (action)
        out.push({
          ...r,
          action,
          subject: pair.subject,
          reason: `${r.reason ?? 'role'}, narrowed by scope ${scope}`,
        } as AppRule);
    }
  }
  return out;
}

/** Every org principal may read its own org (`GET /api/v1/org`, `/auth/me`); nothing else is implied. */
export const baselineRules = (orgId: string): AppRule[] => [
  rule('read', 'Org', { orgId }, 'every member reads its own org'),
];
