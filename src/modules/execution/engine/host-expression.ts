/**
 * The commonest `{{ }}` expressions (property paths, arithmetic, comparisons, logic, string concatenation) are
 * evaluated on the host, so a flow that needs nothing more never pays for a sandbox context (about a millisecond
 * of CPU per run; see docs/execution.md). The subset is parsed once per template. Evaluation never calls a
 * function, never reads a prototype and applies operators only where JavaScript's meaning involves primitives
 * alone, so the host gives exactly what V8 in the sandbox would. Anything else (a method call, a read from
 * undefined, an object operand, an inherited name, a large string) is UNDECIDED and goes to the sandbox, which
 * gives the JavaScript answer or error.
 */

/** The host could not decide: evaluate in the sandbox instead. */
export const UNDECIDED = Symbol('undecided');

type Primitive = string | number | boolean | null | undefined;
type BinaryOp = '+' | '-' | '*' | '/' | '%' | '**' | '<' | '>' | '<=' | '>=' | '===' | '!==' | '==' | '!=';

export type HostExpr =
  | { k: 'lit'; v: Primitive }
  | { k: 'root'; name: string }
  | { k: 'get'; obj: HostExpr; key: string }
  | { k: 'not' | 'neg' | 'plus' | 'typeof'; a: HostExpr }
  | { k: 'bin'; op: BinaryOp; a: HostExpr; b: HostExpr }
  | { k: '&&' | '||' | '??'; a: HostExpr; b: HostExpr }
  | { k: 'cond'; c: HostExpr; t: HostExpr; f: HostExpr };

/** The parameters of the sandbox's expression function (bootstrap-source.ts): the only free names. */
const ROOTS = new Set(['trigger', 'nodes', 'input']);
const LITERALS = new Map<string, Primitive>([
  ['true', true],
  ['false', false],
  ['null', null],
  ['undefined', undefined],
]);
/** Names whose reads could reach a prototype or a constructor: always the sandbox's call. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
const MAX_SOURCE = 1000;
const MAX_DEPTH = 32;
/** Longer strings are left to the sandbox, which applies the configured output limit. */
const MAX_STRING = 64 * 1024;

// Decimal literals only: a leading zero followed by digits (`010`, octal in sloppy code) is not in the subset.
// `++` and `--` are single tokens, as in JavaScript, so `a--b` is refused rather than read as `a - -b`.
const TOKEN_RE =
  /((?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)|("[^"\\\n\r]*"|'[^'\\\n\r]*')|([A-Za-z_$][\w$]*)|(===|!==|==|!=|<=|>=|&&|\|\||\?\?|\*\*|\+\+|--|[-+*/%<>!()[\].?:])/y;
const SPACE_RE = /\s*/y;

type Token = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Token[] | undefined {
  const out: Token[] = [];
  let at = 0;
  for (;;) {
    SPACE_RE.lastIndex = at;
    SPACE_RE.exec(src);
    at = SPACE_RE.lastIndex;
    if (at === src.length) return out;
    TOKEN_RE.lastIndex = at;
    const m = TOKEN_RE.exec(src);
    if (!m) return undefined;
    at = TOKEN_RE.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'str', v: m[2].slice(1, -1) });
    else if (m[3] !== undefined) out.push({ t: 'id', v: m[3] });
    else out.push({ t: 'op', v: m[4] });
  }
}

// Binary precedence, lowest first (JavaScript's): ?? and || / && / equality / relational / additive / multiplicative.
const LEVELS: string[][] = [
  ['||', '??'],
  ['&&'],
  ['===', '!==', '==', '!='],
  ['<', '>', '<=', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Parses the subset; undefined when the expression is anything else (the sandbox evaluates it). */
export function parseHostExpression(source: string): HostExpr | undefined {
  if (source.length > MAX_SOURCE) return undefined;
  const tokens = tokenize(source);
  if (!tokens || tokens.length === 0) return undefined;
  let pos = 0;
  let depth = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => peek()?.t === 'op' && peek()!.v === v;
  const fail = (): never => {
    throw new NotInSubset();
  };
  const expect = (v: string): void => {
    if (!isOp(v)) fail();
    pos++;
  };

  const conditional = (): HostExpr => {
    if (++depth > MAX_DEPTH) fail();
    const c = binary(0);
    let out = c;
    if (isOp('?')) {
      pos++;
      const t = conditional();
      expect(':');
      out = { k: 'cond', c, t, f: conditional() };
    }
    depth--;
    return out;
  };

  const binary = (level: number): HostExpr => {
    if (level === LEVELS.length) return exponent();
    let left = binary(level + 1);
    for (let tok = peek(); tok?.t === 'op' && LEVELS[level].includes(tok.v); tok = peek()) {
      pos++;
      const right = binary(level + 1);
      // JavaScript refuses `??` mixed with `||` or `&&` without parentheses, which this tree no longer shows:
      // any such mix is left to the sandbox (which gives the SyntaxError, or the value if it was parenthesized).
      const mixes = (x: HostExpr) => (tok.v === '??' ? x.k === '||' || x.k === '&&' : x.k === '??');
      if ((tok.v === '??' || tok.v === '||' || tok.v === '&&') && (mixes(left) || mixes(right))) fail();
      left =
        tok.v === '||' || tok.v === '??' || tok.v === '&&'
          ? { k: tok.v, a: left, b: right }
          : { k: 'bin', op: tok.v as BinaryOp, a: left, b: right };
    }
    return left;
  };

  // `**` is right-associative and takes no unary operand on its left (`-2 ** 2` is a SyntaxError).
  const exponent = (): HostExpr => {
    const base = unary();
    if (!isOp('**')) return base;
    if (base.k === 'neg' || base.k === 'plus' || base.k === 'not' || base.k === 'typeof') fail();
    pos++;
    return { k: 'bin', op: '**', a: base, b: exponent() };
  };

  const unary = (): HostExpr => {
    const tok = peek();
    if (tok?.t === 'op' && (tok.v === '!' || tok.v === '-' || tok.v === '+')) {
      pos++;
      if (++depth > MAX_DEPTH) fail();
      const a = unary();
      depth--;
      return { k: tok.v === '!' ? 'not' : tok.v === '-' ? 'neg' : 'plus', a };
    }
    if (tok?.t === 'id' && tok.v === 'typeof') {
      pos++;
      return { k: 'typeof', a: unary() };
    }
    return member();
  };

  const member = (): HostExpr => {
    let obj = primary();
    for (;;) {
      if (isOp('.')) {
        pos++;
        const name = peek();
        if (name?.t !== 'id') fail();
        pos++;
        obj = { k: 'get', obj, key: (name as Token).v as string };
      } else if (isOp('[')) {
        pos++;
        const key = peek();
        // Literal keys only; a computed key is the sandbox's.
        if (key?.t !== 'str' && !(key?.t === 'num' && Number.isInteger(key.v))) fail();
        pos++;
        expect(']');
        obj = { k: 'get', obj, key: String((key as Token).v) };
      } else {
        return obj;
      }
    }
  };

  const primary = (): HostExpr => {
    const tok = peek();
    pos++;
    if (tok?.t === 'num') return { k: 'lit', v: tok.v };
    if (tok?.t === 'str') return { k: 'lit', v: tok.v };
    if (tok?.t === 'id' && LITERALS.has(tok.v)) return { k: 'lit', v: LITERALS.get(tok.v) };
    if (tok?.t === 'id' && ROOTS.has(tok.v)) return { k: 'root', name: tok.v };
    if (tok?.t === 'op' && tok.v === '(') {
      const inner = conditional();
      expect(')');
      return inner;
    }
    return fail();
  };

  try {
    const expr = conditional();
    return pos === tokens.length ? expr : undefined;
  } catch (e) {
    if (e instanceof NotInSubset) return undefined;
    throw e;
  }
}

class NotInSubset extends Error {}

type Value = unknown;

const isPrimitive = (v: Value): v is Primitive => v === null || (typeof v !== 'object' && typeof v !== 'function');

/**
 * Evaluates against the run's scope (JSON data). Returns UNDECIDED wherever JavaScript's result would involve
 * more than own data properties and primitive operations.
 */
export function evaluateHostExpression(expr: HostExpr, scope: Record<string, unknown>): Value | typeof UNDECIDED {
  const v = evaluate(expr, scope);
  if (typeof v === 'string' && v.length > MAX_STRING) return UNDECIDED;
  // What the sandbox's JSON answer holds: non-finite numbers become null, -0 becomes 0.
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : null;
  return v;
}

function evaluate(e: HostExpr, scope: Record<string, unknown>): Value | typeof UNDECIDED {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'root':
      return Object.prototype.hasOwnProperty.call(scope, e.name) ? scope[e.name] : undefined;
    case 'get':
      return read(evaluate(e.obj, scope), e.key);
    case 'not':
    case 'typeof': {
      const a = evaluate(e.a, scope);
      if (a === UNDECIDED) return UNDECIDED;
      return e.k === 'not' ? !a : typeof a;
    }
    case 'neg':
    case 'plus': {
      const a = evaluate(e.a, scope);
      if (a === UNDECIDED || !isPrimitive(a)) return UNDECIDED;
      return e.k === 'neg' ? -(a as number) : +(a as number);
    }
    case '&&':
    case '||':
    case '??': {
      const a = evaluate(e.a, scope);
      if (a === UNDECIDED) return UNDECIDED;
      const takeA = e.k === '&&' ? !a : e.k === '||' ? !!a : a !== null && a !== undefined;
      return takeA ? a : evaluate(e.b, scope);
    }
    case 'cond': {
      const c = evaluate(e.c, scope);
      if (c === UNDECIDED) return UNDECIDED;
      return evaluate(c ? e.t : e.f, scope);
    }
    case 'bin': {
      const a = evaluate(e.a, scope);
      if (a === UNDECIDED) return UNDECIDED;
      const b = evaluate(e.b, scope);
      if (b === UNDECIDED) return UNDECIDED;
      // Strict equality with a primitive side never looks inside an object; two objects compare identities,
      // which differ between the host's data and the sandbox's copy.
      if (e.op === '===' || e.op === '!==') {
        if (!isPrimitive(a) && !isPrimitive(b)) return UNDECIDED;
        return e.op === '===' ? a === b : a !== b;
      }
      if (!isPrimitive(a) || !isPrimitive(b)) return UNDECIDED;
      const v = binary(e.op, a, b);
      // Checked at every step, so a chain of concatenations never builds a large string on the host.
      return typeof v === 'string' && v.length > MAX_STRING ? UNDECIDED : v;
    }
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- JavaScript's own operator semantics on primitives */
function binary(op: BinaryOp, a: any, b: any): Value {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '**':
      return a ** b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    case '==':
      return a == b;
    case '!=':
      return a != b;
    default:
      return UNDECIDED;
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** An own data property of JSON data; a string's length or character. Anything else is the sandbox's. */
function read(obj: Value | typeof UNDECIDED, key: string): Value | typeof UNDECIDED {
  if (obj === UNDECIDED || FORBIDDEN_KEYS.has(key)) return UNDECIDED;
  if (typeof obj === 'string') {
    if (key === 'length') return obj.length;
    return /^(0|[1-9]\d*)$/.test(key) ? obj[Number(key)] : UNDECIDED;
  }
  // A read from undefined or null throws, and numbers and booleans have prototype members: JavaScript decides.
  if (obj === null || typeof obj !== 'object') return UNDECIDED;
  if (Object.prototype.hasOwnProperty.call(obj, key)) return (obj as Record<string, unknown>)[key];
  // An inherited name (`toString`, `map`) is a function in the sandbox.
  return key in obj ? UNDECIDED : undefined;
}
