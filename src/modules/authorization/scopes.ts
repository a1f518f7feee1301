import { ACTIONS, SUBJECTS, type Action, type SubjectName } from '../../core/authz/ability.js';

/** `api_key` → `ApiKey`, `project_member` → `ProjectMember`. */
const toPascal = (res: string): string => res.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());

/** A scope `resource:action` as a CASL pair; null when either half is not in the vocabulary. */
export function parseScope(scope: string): { action: Action; subject: SubjectName } | null {
  const [res, action] = scope.split(':');
  if (!res || !action || res === 'all') return null;
  const subject = toPascal(res);
  if (!(SUBJECTS as readonly string[]).includes(subject) || !(ACTIONS as readonly string[]).includes(action))
    return null;
  return { action: action as Action, subject: subject as SubjectName };
}
