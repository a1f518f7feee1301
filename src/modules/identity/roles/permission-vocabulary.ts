import { ACTIONS, SUBJECTS, type SubjectName } from '../../../core/authz/ability.js';
import type { FieldError } from '../../../core/errors/app.exception.js';
import type { PermissionSpec } from './custom-role.entity.js';

/**
 * Subjects that live inside a project, and the field naming their project. A `projectId` condition, a project
 * role and a project-limited key all pin these subjects through this field.
 */
export const PROJECT_SUBJECT_FIELDS: Partial<Record<SubjectName, string>> = {
  Project: 'id',
  Flow: 'projectId',
  Run: 'projectId',
  Connection: 'projectId',
  ProjectMember: 'projectId',
};

/** Subjects with an owning user: `ownerUserId: "$self"` means "owned by the holder of the role". */
export const OWNED_SUBJECT_FIELDS: Partial<Record<SubjectName, string>> = { ApiKey: 'ownerUserId' };

/** The placeholder a condition uses for the principal's own user; the ability factory substitutes it. */
export const SELF = '$self';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks custom-role permissions against the fixed vocabulary: known actions and subjects, and only these
 * conditions: `projectId` (a UUID or a list of them) on project subjects, `ownerUserId: "$self"` on owned ones.
 * Nothing else (no operators, no `orgId`), so a custom role can never reach beyond its org: the ability factory
 * ANDs every rule with the org. Returns field errors, empty when valid.
 */
export function checkPermissions(perms: PermissionSpec[]): FieldError[] {
  const errors: FieldError[] = [];
  perms.forEach((p, i) => {
    const at = (f: string, message: string) => errors.push({ path: `permissions.${i}.${f}`, message });
    if (!(ACTIONS as readonly string[]).includes(p.action)) at('action', `must be one of ${ACTIONS.join(', ')}`);
    if (!(SUBJECTS as readonly string[]).includes(p.subject)) at('subject', `must be one of ${SUBJECTS.join(', ')}`);
    const conds = p.conditions;
    if (conds === undefined) return;
    if (!conds || typeof conds !== 'object' || Array.isArray(conds)) return at('conditions', 'must be an object');
    const keys = Object.keys(conds);
    if (keys.length === 0) at('conditions', 'must not be empty (omit it instead)');
    for (const key of keys) {
      if (key === 'projectId') {
        if (!PROJECT_SUBJECT_FIELDS[p.subject as SubjectName])
          at('conditions.projectId', `not available on ${p.subject}`);
        const ids = Array.isArray(conds.projectId) ? conds.projectId : [conds.projectId];
        if (ids.length === 0 || ids.length > 50 || !ids.every((v) => typeof v === 'string' && UUID.test(v))) {
          at('conditions.projectId', 'must be a project id or a list of 1 to 50 project ids');
        }
      } else if (key === 'ownerUserId') {
        if (!OWNED_SUBJECT_FIELDS[p.subject as SubjectName])
          at('conditions.ownerUserId', `not available on ${p.subject}`);
        if (conds.ownerUserId !== SELF) at('conditions.ownerUserId', `must be "${SELF}"`);
      } else {
        at(`conditions.${key}`, 'unknown condition (allowed: projectId, ownerUserId)');
      }
    }
  });
  return errors;
}

/** Project ids named by the permissions' conditions (they must exist in the org). */
export function referencedProjects(perms: PermissionSpec[]): string[] {
  const ids = new Set<string>();
  for (const p of perms) {
    const v = p.conditions?.projectId;
    for (const id of Array.isArray(v) ? v : v ? [v] : []) ids.add(id.toLowerCase());
  }
  return [...ids];
}
