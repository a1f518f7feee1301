import type { DefinitionIssue } from './definition.types.js';
import { childPath, walkSchema, type ParamSchema } from './param-schema.js';

/**
 * The one accepted form of a secret reference: `{{ secrets.<name>.<path>#<key> }}`, e.g.
 * `{{ secrets.vault.kv/stripe#api_key }}`. Path segments may not be empty, `.` or `..` (no traversal in stores).
 */
export const SECRET_REF_RE =
  /^\{\{\s*secrets\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.((?:[A-Za-z0-9_-][A-Za-z0-9_.-]*)(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)#([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})\s*\}\}$/;

export interface SecretReference {
  provider: string;
  path: string;
  key: string;
}

/** Parses one `{{ secrets... }}` token; null when it is not a well-formed reference. */
export function parseSecretReference(token: string): SecretReference | null {
  const m = SECRET_REF_RE.exec(token);
  if (!m) return null;
  if (m[2].split('/').some((seg) => seg === '.' || seg === '..')) return null;
  return { provider: m[1], path: m[2], key: m[3] };
}

const EXPRESSION_TOKEN_RE = /\{\{[\s\S]*?\}\}/g;
const MENTIONS_SECRETS_RE = /(^|[^A-Za-z0-9_$.])secrets\s*[.[?]/;

/** Problems in one template string: unclosed `{{`, malformed secret references. */
export function checkTemplateString(value: string, path: string): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const stripped = value.replace(EXPRESSION_TOKEN_RE, '');
  if (stripped.includes('{{')) issues.push({ path, message: 'has an unclosed {{ expression' });
  for (const token of value.match(EXPRESSION_TOKEN_RE) ?? []) {
    const inner = token.slice(2, -2);
    if (!MENTIONS_SECRETS_RE.test(inner)) continue;
    if (!parseSecretReference(token)) {
      issues.push({ path, message: 'has a malformed secret reference; the form is {{ secrets.<name>.<path>#<key> }}' });
    }
  }
  return issues;
}

/** Every secret reference in a template string (for dependency listings; resolution happens at run time). */
export function secretReferencesIn(value: string): SecretReference[] {
  return (value.match(EXPRESSION_TOKEN_RE) ?? []).map(parseSecretReference).filter((r): r is SecretReference => r !== null);
}

function deepStrings(value: unknown, path: string, visit: (s: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => deepStrings(v, `${path}[${i}]`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) deepStrings(v, childPath(path, k), visit);
}

/** Visits every template string under `value` (skipping `literal` fields such as code). */
export function forEachTemplateString(schema: ParamSchema, value: unknown, path: string, visit: (s: string, path: string) => void): void {
  walkSchema(schema, value, path, (s, v, p) => {
    if (s.kind === 'json') deepStrings(v, p, visit);
    else if (typeof v === 'string' && !(s.kind === 'string' && s.literal)) visit(v, p);
  });
}

/** A connection id used by a node (or trigger) parameter, with its JSON path. */
export interface ConnectionReference {
  connectionId: string;
  path: string;
  nodeId: string | null;
}

/** Values of `format: 'connection-id'` fields (expressions excluded: those resolve at run time). */
export function collectConnectionReferences(schema: ParamSchema, value: unknown, path: string, nodeId: string | null): ConnectionReference[] {
  const out: ConnectionReference[] = [];
  walkSchema(schema, value, path, (s, v, p) => {
    if (s.kind === 'string' && s.format === 'connection-id' && typeof v === 'string' && !v.includes('{{')) out.push({ connectionId: v, path: p, nodeId });
  });
  return out;
}
