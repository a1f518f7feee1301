import { SetMetadata } from '@nestjs/common';
import { subject as asSubject } from '@casl/ability';
import type { FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { In, IsNull, Not, Or } from 'typeorm';
import type { Action, AppAbility, SubjectName } from '../authz/ability.js';
import { RequestContextStore } from '../context/request-context.js';

export const POLICY = 'tenantflow:policy';

export interface PolicyMeta {
  action: Action;
  subject: SubjectName;
  /**
   * Route parameter holding the subject's id. For `Project` the guard checks the instance too (denial answers 404,
   * no existence leak); services check other subjects with `canOn` after loading the row.
   */
  idParam?: string;
}

/** Declares the permission a route needs. Every non-public route carries one (a test walks the router). */
export const CheckPolicies = (action: Action, subject: SubjectName, idParam?: string): MethodDecorator =>
  SetMetadata(POLICY, { action, subject, idParam } satisfies PolicyMeta);

/** The current request's ability; absent means deny (fail closed). */
export function currentAbility(): AppAbility {
  const ability = RequestContextStore.get()?.ability;
  if (!ability) throw new Error('No ability in context');
  return ability;
}

/** Instance check against the current ability. */
export function canOn(action: Action, subject: SubjectName, fields: Record<string, unknown>): boolean {
  return currentAbility().can(action, asSubject(subject, { ...fields }) as never);
}

/**
 * Translates the ability's rules for (action, subject) into TypeORM `where` alternatives (an `accessibleBy`
 * for our rule vocabulary: equality, `$in` and `$nin` on columns). `undefined` = no restriction beyond the org;
 * `[]` = nothing is visible. Inverted rules with conditions are not part of our vocabulary and deny everything.
 * `$nin` keeps NULL rows, as CASL does for an absent field (e.g. an org-level connection outside every project).
 */
export function accessibleWhere<T extends ObjectLiteral>(action: Action, subject: SubjectName): FindOptionsWhere<T>[] | undefined {
  const rules = currentAbility().rulesFor(action, subject as never);
  const out: FindOptionsWhere<T>[] = [];
  for (const rule of rules) {
    if (rule.inverted) {
      if (rule.conditions) return [];
      break; // an unconditional `cannot` shadows every rule after it
    }
    if (!rule.conditions) return undefined;
    const where: Record<string, unknown> = {};
    for (const [field, cond] of Object.entries(rule.conditions as Record<string, unknown>)) {
      if (field === 'orgId') continue; // enforced by the tenant scope and RLS
      if (cond && typeof cond === 'object' && '$in' in cond) where[field] = In((cond as { $in: unknown[] }).$in);
      else if (cond && typeof cond === 'object' && '$nin' in cond) where[field] = Or(IsNull(), Not(In((cond as { $nin: unknown[] }).$nin)));
      else if (cond === null) where[field] = IsNull();
      else if (typeof cond !== 'object') where[field] = cond;
      else return [];
    }
    if (Object.keys(where).length === 0) return undefined;
    out.push(where as FindOptionsWhere<T>);
  }
  return out;
}
