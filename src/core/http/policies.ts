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
   * Route parameter holding the subject's id. For `Project` the guard checks the instance too (404 when the caller
   * cannot see the project, 403 when they see it but may not act); services check other subjects with `canOn`.
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

const listOf = (v: unknown, op: '$in' | '$nin'): unknown[] | null =>
  v !== null && typeof v === 'object' && op in v && Array.isArray((v as Record<string, unknown>)[op])
    ? (v as Record<string, unknown[]>)[op]
    : null;
const inValues = (v: unknown): unknown[] | null => listOf(v, '$in');
const ninValues = (v: unknown): unknown[] | null => listOf(v, '$nin');

/**
 * Walks the ability's rules for (action, subject) into alternatives of field filters (our rule vocabulary:
 * equality, `$in` and `$nin`). `undefined` = no restriction beyond the org; `[]` = nothing is visible. Inverted
 * rules with conditions are not part of our vocabulary and deny everything (fail closed). `$nin` (project roles
 * carve their projects out of the org role) keeps NULL values, as CASL does for an absent field.
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
      const isList = cond !== null && typeof cond === 'object' && (inValues(cond) ?? ninValues(cond)) !== null;
      if (cond !== null && typeof cond === 'object' && !isList) return [];
      filter[field] = cond;
    }
    if (Object.keys(filter).length === 0) return undefined;
    out.push(filter);
  }
  return out;
}

/** `accessibleFilters` as TypeORM `where` alternatives (an `accessibleBy` for TypeORM finds). */
export function accessibleWhere<T extends ObjectLiteral>(
  action: Action,
  subject: SubjectName,
): FindOptionsWhere<T>[] | undefined {
  const filters = accessibleFilters(action, subject);
  const toOperator = (v: unknown): unknown => {
    const list = inValues(v);
    if (list) return In(list);
    const excluded = ninValues(v);
    if (excluded) return Or(IsNull(), Not(In(excluded)));
    return v === null ? IsNull() : v;
  };
  return filters?.map(
    (f) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, toOperator(v)])) as FindOptionsWhere<T>,
  );
}

/**
 * `accessibleFilters` as an SQL condition appended to `params`: `null` = unrestricted, `'FALSE'` = nothing.
 * `columns` maps rule fields to trusted column expressions; a rule on an unmapped field denies (fail closed).
 */
export function accessibleSql(
  action: Action,
  subject: SubjectName,
  columns: Record<string, string>,
  params: unknown[],
): string | null {
  const filters = accessibleFilters(action, subject);
  if (!filters) return null;
  const alternatives: string[] = [];
  for (const f of filters) {
    const parts: string[] = [];
    for (const [field, value] of Object.entries(f)) {
      const column = columns[field];
      if (!column) return 'FALSE';
      const list = inValues(value);
      const excluded = ninValues(value);
      if (value === null) {
        parts.push(`${column} IS NULL`);
        continue;
      }
      params.push(list ?? excluded ?? value);
      if (list) parts.push(`${column} = ANY($${params.length})`);
      else if (excluded) parts.push(`(${column} IS NULL OR NOT (${column} = ANY($${params.length})))`);
      else parts.push(`${column} = $${params.length}`);
    }
    alternatives.push(`(${parts.join(' AND ')})`);
  }
  return alternatives.length ? `(${alternatives.join(' OR ')})` : 'FALSE';
}
