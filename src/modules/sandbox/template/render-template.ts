import type { SandboxPool } from '../sandbox-pool.js';
import type { JsonValue, SandboxData, SandboxResult } from '../sandbox.types.js';
import { parseTemplate } from './template-parser.js';

/** Rebuilds one node of the parameter tree from the evaluated expression values. */
type Plan = (values: readonly JsonValue[]) => JsonValue;

/**
 * Renders a node parameter: every string in `value` (nested in arrays and objects too) has its
 * `{{ expression }}` parts evaluated. A string that is exactly one `{{ }}` takes the expression's JSON
 * value; any other string stays a string (objects JSON-stringified, null/undefined as ''). All expressions
 * of the tree go to the sandbox in one call. Results are inserted as data: `{{ }}` inside a result is
 * never evaluated again. Object keys are not templated.
 */
export async function renderTemplate(
  pool: SandboxPool,
  orgId: string,
  value: JsonValue,
  context: SandboxData,
): Promise<SandboxResult> {
  const expressions: string[] = [];
  const build = plan(value, expressions);
  if (expressions.length === 0) {
    return { ok: true, value: build([]), console: [] };
  }
  const result = await pool.evaluateAll({ orgId, expressions, context });
  return result.ok ? { ok: true, value: build(result.value), console: result.console } : result;
}

function plan(value: JsonValue, expressions: string[]): Plan {
  if (typeof value === 'string') {
    return planString(value, expressions);
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => plan(item, expressions));
    return (values) => items.map((item) => item(values));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, plan(item, expressions)] as const);
    // fromEntries defines own properties, so a `__proto__` key stays a plain key.
    return (values) => Object.fromEntries(entries.map(([key, item]) => [key, item(values)]));
  }
  return () => value;
}

function planString(text: string, expressions: string[]): Plan {
  if (!text.includes('{{')) {
    return () => text;
  }
  const parts = parseTemplate(text);
  const [first] = parts;
  if (parts.length === 1 && first?.kind === 'expression') {
    const index = expressions.push(first.source) - 1;
    return (values) => values[index] ?? null;
  }
  const pieces = parts.map((part): Plan => {
    if (part.kind === 'text') {
      return () => part.text;
    }
    const index = expressions.push(part.source) - 1;
    return (values) => asText(values[index]);
  });
  return (values) => pieces.map((piece) => piece(values)).join('');
}

function asText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
