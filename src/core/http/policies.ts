import { SetMetadata } from '@nestjs/common';
import { subject as asSubject } from '@casl/ability';
import type { FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { In } from 'typeorm';
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

type FieldFilter = Record<string, unknown>;

/**
 * Walks the ability's rules for (action, subject) into alternatives of field filters (our rule vocabulary:
 * equality and `$in`). `undefined` = no restriction beyond the org; `[]` = nothing is visible. Inverted rules
 * with conditions are not part of our vocabulary and deny everything (fail closed).
 */
function accessibleFilters(action: Action, subject: SubjectName): FieldFilter[] | undefined {
  const rules = currentAbility().rulesFor(action, subject as never);
  const out: FieldFilter[] = [];
  for (const rule of rules) {
    if (rule.inverted) {
      if (rule.conditions) return [];
      break; // an unconditional `cannot` shadows every rule after it
    }
    if (!rule.conditions) return undefined;
    const filter: FieldFilter = {};
    for (const [field, cond] of Object.entries(rule.conditions as Record<string, unknown>)) {
      if (field === 'orgId') continue; // enforced by the tenant scope and RLS
      const isIn = cond !== null && typeof cond === 'object' && '$in' in cond && Array.isArray((cond as { $in: unknown }).$in);
      if (cond !== null && typeof cond === 'object' && !isIn) return [];
      filter[field] = cond;
    }
    if (Object.keys(filter).length === 0) return undefined;
    out.push(filter);
  }
  return out;
}

const inValues = (v: unknown): unknown[] | null => (v !== null && typeof v === 'object' && '$in' in v ? (v as { $in: unknown[] }).$in : null);

/** `accessibleFilters` as TypeORM `where` alternatives (an `accessibleBy` for TypeORM finds). */
export function accessibleWhere<T extends ObjectLiteral>(action: Action, subject: SubjectName): FindOptionsWhere<T>[] | undefined {
  const filters = accessibleFilters(action, subject);
  return filters?.map((f) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, inValues(v) ? In(inValues(v)!) : v])) as FindOptionsWhere<T>);
}

/**
 * `accessibleFilters` as an SQL condition appended to `params`: `null` = unrestricted, `'FALSE'` = nothing.
 * `columns` maps rule fields to trusted column expressions; a rule on an unmapped field denies (fail closed).
 */
export function accessibleSql(action: Action, subject: SubjectName, columns: Record<string, string>, params: unknown[]): string | null {
  const filters = accessibleFilters(action, subject);
  if (!filters) return null;
  const alternatives: string[] = [];
  for (const f of filters) {
    const parts: string[] = [];
    for (const [field, value] of Object.entries(f)) {
      const column = columns[field];
      if (!column) return 'FALSE';
      const list = inValues(value);
      params.push(list ?? value);
      parts.push(list ? `${column} = ANY($${params.length})` : `${column} = $${params.length}`);
    }
    alternatives.push(`(${parts.join(' AND ')})`);
  }
  return alternatives.length ? `(${alternatives.join(' OR ')})` : 'FALSE';
}
