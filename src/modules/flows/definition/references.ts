import type { DefinitionIssue } from './definition.types.js';
import { childPath, walkSchema, type ParamSchema } from './param-schema.js';
import { hasExpression, hasTemplate, parseTemplate, type SecretRef } from './template-grammar.js';

/** Problems in one template string (per template-grammar.ts): an unclosed `{{`, malformed secret references. */
export function checkTemplateString(value: string, path: string): DefinitionIssue[] {
  if (!hasTemplate(value)) return [];
  const { parts, unclosedAt } = parseTemplate(value);
  const issues: DefinitionIssue[] = [];
  if (unclosedAt >= 0) issues.push({ path, message: 'has an unclosed {{ expression' });
  for (const part of parts) {
    if (part.kind === 'malformed-secret') {
      issues.push({
        path,
        message: 'has a malformed secret reference; the form is {{ secrets.<name>.<path>#<key> }} (#<key> optional)',
      });
    }
  }
  return issues;
}

/** Every secret reference in a template string (for dependency listings; resolution happens at run time). */
export function secretReferencesIn(value: string): SecretRef[] {
  if (!hasTemplate(value)) return [];
  return parseTemplate(value).parts.flatMap((p) => (p.kind === 'secret' ? [p.ref] : []));
}

function deepStrings(value: unknown, path: string, visit: (s: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => deepStrings(v, `${path}[${i}]`, visit));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) deepStrings(v, childPath(path, k), visit);
}

/** Visits every template string under `value` (skipping `literal` fields such as code). */
export function forEachTemplateString(
  schema: ParamSchema,
  value: unknown,
  path: string,
  visit: (s: string, path: string) => void,
): void {
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
export function collectConnectionReferences(
  schema: ParamSchema,
  value: unknown,
  path: string,
  nodeId: string | null,
): ConnectionReference[] {
  const out: ConnectionReference[] = [];
  walkSchema(schema, value, path, (s, v, p) => {
    if (s.kind === 'string' && s.format === 'connection-id' && typeof v === 'string' && !hasExpression(v))
      out.push({ connectionId: v, path: p, nodeId });
  });
  return out;
}
