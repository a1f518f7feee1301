/**
 * The `{{ }}` template grammar, written once. The validator (references.ts), the engine (execution's template.ts)
 * and the webhook secret reader all parse with it, so what publish checks and what a run evaluates cannot disagree.
 *
 * - `{{` opens an expression. It ends at the first `}}` outside string literals (`'…'`, `"…"`, `` `…` ``, with `\`
 *   escapes) and outside braces opened inside it: `{{ {a: {b: 1}} }}` and `{{ "}}" }}` are one expression each.
 * - A `{{` that is never closed is literal text; `unclosedAt` says where it starts (publish refuses it).
 * - An expression that is exactly `secrets.<name>.<path>` or `secrets.<name>.<path>#<key>` is a secret reference.
 *   `<path>` is `/`-separated segments, never empty, `.` or `..` (no traversal in a store); `#<key>` picks a field
 *   of a JSON secret, and without it the whole value is used (API.md). Any other mention of `secrets` is a malformed
 *   reference: refused at publish, and at run time it fails the node, so it never reaches the sandbox.
 */

/** A secret reference: provider name, path inside the provider, and optionally a field of a JSON secret. */
export interface SecretRef {
  provider: string;
  path: string;
  key?: string;
}

export type TemplatePart =
  | { kind: 'text'; text: string }
  /** `source` is the expression between the braces, trimmed. */
  | { kind: 'expression'; source: string }
  | { kind: 'secret'; source: string; ref: SecretRef }
  | { kind: 'malformed-secret'; source: string };

export interface ParsedTemplate {
  /** Text and `{{ }}` parts in order; no empty text parts. */
  parts: TemplatePart[];
  /** Offset of a `{{` that is never closed (it and what follows are the last text part), or -1. */
  unclosedAt: number;
}

export const TEMPLATE_OPEN = '{{';

const SECRET_NAME = '[A-Za-z0-9][A-Za-z0-9_-]{0,63}';
// A segment cannot start with a dot, so `.`, `..` (and hidden names) are refused by the pattern itself.
const SECRET_SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9_.-]*';
const SECRET_KEY = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const SECRET_RE = new RegExp(
  `^secrets\\.(${SECRET_NAME})\\.(${SECRET_SEGMENT}(?:/${SECRET_SEGMENT})*)(?:#(${SECRET_KEY}))?$`,
);
/** `secrets.`, `secrets[` or `secrets?.` not preceded by a name character or a dot (`a.secrets.x` is not one). */
const MENTIONS_SECRETS_RE = /(^|[^A-Za-z0-9_$.])secrets\s*[.[?]/;

/** Whether the text contains `{{` at all (the fast path: most strings are plain). */
export function hasTemplate(text: string): boolean {
  return text.includes(TEMPLATE_OPEN);
}

export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let position = 0;
  let unclosedAt = -1;
  while (position < text.length) {
    const open = text.indexOf(TEMPLATE_OPEN, position);
    const close = open < 0 ? -1 : findClose(text, open + TEMPLATE_OPEN.length);
    if (open < 0 || close < 0) {
      if (open >= 0) unclosedAt = open;
      parts.push({ kind: 'text', text: text.slice(position) });
      break;
    }
    if (open > position) parts.push({ kind: 'text', text: text.slice(position, open) });
    parts.push(expressionPart(text.slice(open + TEMPLATE_OPEN.length, close)));
    position = close + 2;
  }
  return { parts, unclosedAt };
}

/** Whether the text holds at least one closed `{{ }}` (an expression or a reference), i.e. is not a plain literal. */
export function hasExpression(text: string): boolean {
  return hasTemplate(text) && parseTemplate(text).parts.some((p) => p.kind !== 'text');
}

/** The secret reference a whole `{{ secrets… }}` value stands for (surrounding whitespace allowed); else null. */
export function parseSecretReference(value: string): SecretRef | null {
  const { parts } = parseTemplate(value.trim());
  return parts.length === 1 && parts[0].kind === 'secret' ? parts[0].ref : null;
}

function expressionPart(raw: string): TemplatePart {
  const source = raw.trim();
  const m = SECRET_RE.exec(source);
  if (m) {
    return {
      kind: 'secret',
      source,
      ref: m[3] === undefined ? { provider: m[1], path: m[2] } : { provider: m[1], path: m[2], key: m[3] },
    };
  }
  if (MENTIONS_SECRETS_RE.test(source)) return { kind: 'malformed-secret', source };
  return { kind: 'expression', source };
}

/** Index of the `}}` that ends the expression starting at `start`, or -1. */
function findClose(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === '`') i = skipString(text, i);
    else if (ch === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    else if (ch === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

/** Index of the quote closing the literal opened at `start` (or the end of the text). */
function skipString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}
