/**
 * `{{ … }}` templates in node parameters. Templates are parsed once from the definition; rendered values are
 * data and never parsed again, so a payload that contains `{{ }}` is never evaluated.
 */

export interface SecretRef {
  provider: string;
  path: string;
  key: string;
}

export type Piece = { expr: string; secret?: SecretRef; path?: string[] };

export type Template =
  | { kind: 'literal'; value: string }
  /** Exactly one `{{ }}`: the value keeps its JSON type. */
  | { kind: 'single'; piece: Piece }
  /** Text around or between expressions: the result is a string. */
  | { kind: 'mixed'; parts: (string | Piece)[] };

const OPEN = '{{';
const CLOSE = '}}';
const SECRET_RE = /^secrets\.([A-Za-z0-9_-]+)\.([^#\s]+)#([A-Za-z0-9_.\-/]+)$/;
const ROOTS = new Set(['trigger', 'nodes', 'input', 'loop']);
const PATH_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\d{1,9}\]|\["[^"\\]{0,200}"\]|\['[^'\\]{0,200}'\])*$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

function piece(raw: string): Piece {
  const expr = raw.trim();
  const m = SECRET_RE.exec(expr);
  if (m) return { expr, secret: { provider: m[1], path: m[2], key: m[3] } };
  return { expr, path: plainPath(expr) };
}

/**
 * A plain property path such as `nodes.double.output` or `trigger.body["a"]` is read on the host (a copy of
 * JSON data, own properties only): nothing runs, so the sandbox round trip is skipped. Anything else runs in the sandbox.
 */
function plainPath(expr: string): string[] | undefined {
  if (!PATH_RE.test(expr)) return undefined;
  const parts: string[] = [];
  const re = /([A-Za-z_$][\w$]*)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/g;
  for (let m = re.exec(expr); m; m = re.exec(expr)) parts.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  if (!ROOTS.has(parts[0]) || parts.some((p) => FORBIDDEN_KEYS.has(p))) return undefined;
  return parts;
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

/** `readPath` could not decide on the host (e.g. `.length` of a string): evaluate in the sandbox instead. */
export const UNDECIDED = Symbol('undecided');

/**
 * Reads a plain path from JSON data; own properties only, so prototypes are never reached (an inherited
 * name reads as undefined, as its function value would after the JSON copy). Primitives mid-path are undecided.
 */
export function readPath(root: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    // Reading from undefined throws and primitives have prototype properties: let the sandbox say what JS says.
    if (cur === null || typeof cur !== 'object') return UNDECIDED;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** How an expression's value reads inside a larger string. */
export function stringifyPart(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
