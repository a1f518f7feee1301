import { type HostExpr, parseHostExpression } from './host-expression.js';

/**
 * `{{ … }}` templates in node parameters. Templates are parsed once from the definition; rendered values are
 * data and never parsed again, so a payload that contains `{{ }}` is never evaluated.
 */

export interface SecretRef {
  provider: string;
  path: string;
  key: string;
}

/** One `{{ }}`: a secret reference, or an expression (with its host-evaluable form when it has one). */
export type Piece = { expr: string; secret?: SecretRef; host?: HostExpr };

export type Template =
  | { kind: 'literal'; value: string }
  /** Exactly one `{{ }}`: the value keeps its JSON type. */
  | { kind: 'single'; piece: Piece }
  /** Text around or between expressions: the result is a string. */
  | { kind: 'mixed'; parts: (string | Piece)[] };

const OPEN = '{{';
const CLOSE = '}}';
const SECRET_RE = /^secrets\.([A-Za-z0-9_-]+)\.([^#\s]+)#([A-Za-z0-9_.\-/]+)$/;

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

function piece(raw: string): Piece {
  const expr = raw.trim();
  const m = SECRET_RE.exec(expr);
  if (m) return { expr, secret: { provider: m[1], path: m[2], key: m[3] } };
  return { expr, host: parseHostExpression(expr) };
}

export function parseTemplate(text: string): Template {
  if (!hasTemplate(text)) return { kind: 'literal', value: text };
  const parts: (string | Piece)[] = [];
  let pos = 0;
  while (pos < text.length) {
    const start = text.indexOf(OPEN, pos);
    if (start < 0) break;
    const end = text.indexOf(CLOSE, start + OPEN.length);
    if (end < 0) break;
    if (start > pos) parts.push(text.slice(pos, start));
    parts.push(piece(text.slice(start + OPEN.length, end)));
    pos = end + CLOSE.length;
  }
  if (pos < text.length) parts.push(text.slice(pos));
  if (parts.length === 1 && typeof parts[0] !== 'string') return { kind: 'single', piece: parts[0] };
  if (parts.every((p) => typeof p === 'string')) return { kind: 'literal', value: text };
  return { kind: 'mixed', parts };
}

/** How an expression's value reads inside a larger string. */
export function stringifyPart(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
