import { subject as asSubject } from '@casl/ability';
import { randomUUID } from 'node:crypto';
import type { Action, AppAbility, AppRule, SubjectName } from '../../core/authz/ability.js';

type Conds = Record<string, unknown>;

/** A value no real row holds: stands for "any other value" of a field the grant leaves free. */
const OTHER = `other:${randomUUID()}`;

function valuesOf(cond: unknown): unknown[] | null {
  if (cond && typeof cond === 'object') {
    if ('$in' in cond) return (cond as { $in: unknown[] }).$in;
    if ('$nin' in cond) return (cond as { $nin: unknown[] }).$nin;
    return null;
  }
  return [cond];
}

/** Constants the holder's rules mention for each field: a free field is tested at each, at null and at "other". */
function holderConstants(holder: AppAbility, action: Action, subject: SubjectName): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const r of holder.rulesFor(action, subject as never)) {
    for (const [field, cond] of Object.entries((r.conditions as Conds | undefined) ?? {})) {
      const vals = valuesOf(cond) ?? [];
      out.set(field, [...(out.get(field) ?? []), ...vals]);
    }
  }
  return out;
}

/** Values a grant's condition on a field allows, among the candidates; a fixed value or `$in` list stands alone. */
function candidatesFor(cond: unknown, holderValues: unknown[] | undefined): unknown[] {
  if (cond === undefined) return [...new Set([...(holderValues ?? []), null, OTHER])];
  if (cond && typeof cond === 'object' && '$in' in cond) return (cond as { $in: unknown[] }).$in;
  if (cond && typeof cond === 'object' && '$nin' in cond) {
    const excluded = (cond as { $nin: unknown[] }).$nin;
    return [...new Set([...(holderValues ?? []), null, OTHER])].filter((v) => !excluded.includes(v));
  }
  return [cond];
}

function* product(fields: [string, unknown[]][], i = 0, acc: Conds = {}): Generator<Conds> {
  if (i === fields.length) {
    yield acc;
    return;
  }
  const [field, values] = fields[i];
  for (const v of values) yield* product(fields, i + 1, v === undefined ? acc : { ...acc, [field]: v });
}

/**
 * Whether `holder` allows everything `grant` allows: the check behind "nobody grants more than they hold".
 * Conditions are equality, `$in` and `$nin`, so each field's values fall into finitely many classes: the constants
 * either side mentions, null, and "anything else". Testing one object per class decides coverage exactly.
 * Returns the first grant rule not covered, or null.
 */
export function uncoveredRule(holder: AppAbility, grant: AppRule[]): AppRule | null {
  for (const g of grant) {
    if (g.inverted) continue; // a restriction grants nothing
    const actions = (Array.isArray(g.action) ? g.action : [g.action]) as Action[];
    const subjects = (Array.isArray(g.subject) ? g.subject : [g.subject]) as SubjectName[];
    for (const action of actions) {
      for (const subject of subjects) {
        if (!coversOne(holder, action, subject, (g.conditions as Conds | undefined) ?? {})) return g;
      }
    }
  }
  return null;
}

function coversOne(holder: AppAbility, action: Action, subject: SubjectName, conds: Conds): boolean {
  const hv = holderConstants(holder, action, subject);
  const fields = new Set([...Object.keys(conds), ...hv.keys()]);
  const axes: [string, unknown[]][] = [...fields].map((f) => [f, candidatesFor(conds[f], hv.get(f))]);
  for (const obj of product(axes)) {
    const probe = Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null));
    if (!holder.can(action, asSubject(subject, probe) as never)) return false;
  }
  return true;
}
