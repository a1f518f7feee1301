export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expression'; source: string };

const OPEN = '{{';

/**
 * Splits a parameter string into literal text and `{{ expression }}` parts. The closing `}}` is the first
 * one outside string literals and outside braces opened in the expression, so `{{ {a: {b: 1}} }}` is one
 * expression. An unterminated `{{` is literal text.
 */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let position = 0;
  while (position < text.length) {
    const open = text.indexOf(OPEN, position);
    const close = open < 0 ? -1 : findClose(text, open + OPEN.length);
    if (open < 0 || close < 0) {
      parts.push({ kind: 'text', text: text.slice(position) });
      break;
    }
    if (open > position) {
      parts.push({ kind: 'text', text: text.slice(position, open) });
    }
    parts.push({ kind: 'expression', source: text.slice(open + OPEN.length, close) });
    position = close + 2;
  }
  return parts;
}

/** Index of the `}}` that ends the expression starting at `start`, or -1. */
function findClose(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      i = skipString(text, i);
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
    } else if (ch === '}' && text[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

/** Index of the quote closing the literal opened at `start` (or the end of the text). */
function skipString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
    } else if (text[i] === quote) {
      return i;
    }
  }
  return text.length;
}
