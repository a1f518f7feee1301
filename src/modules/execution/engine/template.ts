import { parseTemplate, type SecretRef } from '../definition/flow-definition.js';
export { hasTemplate } from '../definition/flow-definition.js';
import { type HostExpr, parseHostExpression } from './host-expression.js';

/**
 * `{{ … }}` templates in node parameters, compiled for rendering. The grammar (where an expression ends, what a
 * secret reference is) is the flows module's template-grammar.ts, shared with the validator. Templates are compiled
 * once from the definition; rendered values are data and never parsed again, so a payload that contains `{{ }}` is
 * never evaluated.
 */

export type { SecretRef };

/**
 * One `{{ }}`: a secret reference, a malformed one (fails the node when rendered, never reaches the sandbox), or an
 * expression (with its host-evaluable form when it has one).
 */
export type Piece = { expr: string; secret?: SecretRef; malformedSecret?: true; host?: HostExpr };

export type Template =
  | { kind: 'literal'; value: string }
  /** Exactly one `{{ }}`: the value keeps its JSON type. */
  | { kind: 'single'; piece: Piece }
  /** Text around or between expressions: the result is a string. */
  | { kind: 'mixed'; parts: (string | Piece)[] };

export function compileTemplate(text: string): Template {
  const { parts } = parseTemplate(text);
  const out = parts.map((p): string | Piece => {
    switch (p.kind) {
      case 'text':
        return p.text;
      case 'secret':
        return { expr: p.source, secret: p.ref };
      case 'malformed-secret':
        return { expr: p.source, malformedSecret: true };
      case 'expression':
        return { expr: p.source, host: parseHostExpression(p.source) };
    }
  });
  if (out.length === 1 && typeof out[0] !== 'string') return { kind: 'single', piece: out[0] };
  if (out.every((p) => typeof p === 'string')) return { kind: 'literal', value: text };
  return { kind: 'mixed', parts: out };
}

/** How an expression's value reads inside a larger string. */
export function stringifyPart(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
