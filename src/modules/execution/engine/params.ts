import { StepFailure } from './run-errors.js';
import type { SandboxCalls, SandboxLimits, SandboxScope } from './sandbox.port.js';
import { evaluateHostExpression, UNDECIDED } from './host-expression.js';
import { compileTemplate, hasTemplate, stringifyPart, type Piece, type SecretRef, type Template } from './template.js';

/** Resolves `{{ secrets.<provider>.<path>#<key> }}` (`#<key>` optional) for one run and remembers each value for redaction. */
export interface RunSecrets {
  resolve(ref: SecretRef): Promise<string>;
}

export interface RenderEnv {
  orgId: string;
  sandbox: SandboxCalls;
  limits: SandboxLimits;
  secrets: RunSecrets;
}

type Compiled =
  | { t: 'const'; v: unknown }
  | { t: 'tpl'; tpl: Template }
  | { t: 'arr'; items: Compiled[] }
  | { t: 'obj'; entries: [string, Compiled][] };

const cache = new WeakMap<object, Compiled>();
/** Top-level string parameters have no object to key on: a bounded cache by text (definition strings only). */
const strings = new Map<string, Compiled>();
const STRINGS_MAX = 5000;
const STRING_MAX_CHARS = 4096;

/** Parses every template in a parameter tree once; the result is cached per definition object (or string). */
export function compileValue(value: unknown): Compiled {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return { t: 'const', v: value };
    const hit = strings.get(value);
    if (hit) return hit;
    const tpl = compileTemplate(value);
    const compiled: Compiled = tpl.kind === 'literal' ? { t: 'const', v: value } : { t: 'tpl', tpl };
    if (value.length <= STRING_MAX_CHARS) {
      if (strings.size >= STRINGS_MAX) strings.clear();
      strings.set(value, compiled);
    }
    return compiled;
  }
  if (value === null || typeof value !== 'object') return { t: 'const', v: value };
  const hit = cache.get(value);
  if (hit) return hit;
  const compiled: Compiled = Array.isArray(value)
    ? { t: 'arr', items: value.map(compileValue) }
    : { t: 'obj', entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, compileValue(v)]) };
  cache.set(value, compiled);
  return compiled;
}

/**
 * Renders a parameter value against the scope. Every expression that needs the sandbox is evaluated in one
 * sandbox call per value; expressions the host can decide (host-expression.ts) never reach it; secret references go to the resolver.
 * Results are fresh values, never parsed again.
 */
export async function renderValue(
  value: unknown,
  scope: SandboxScope,
  env: RenderEnv,
  at = 'params',
): Promise<unknown> {
  const compiled = compileValue(value);
  if (compiled.t === 'const') return compiled.v;
  const wanted: string[] = [];
  const decided = new Map<Piece, unknown>();
  collect(compiled, scope as unknown as Record<string, unknown>, wanted, decided);
  let values: unknown[] = [];
  if (wanted.length) {
    try {
      values = await env.sandbox.evaluateAll(env.orgId, wanted, scope, env.limits);
    } catch (e) {
      if (e instanceof StepFailure && e.type === 'user_error')
        throw new StepFailure('user_error', `Expression in ${at} failed: ${e.message}`);
      throw e;
    }
  }
  return assemble(compiled, env, { values, next: 0, decided });
}

function pieces(tpl: Template): Piece[] {
  if (tpl.kind === 'single') return [tpl.piece];
  if (tpl.kind === 'mixed') return tpl.parts.filter((p): p is Piece => typeof p !== 'string');
  return [];
}

/**
 * Sorts the pieces: secret references are resolved later, expressions the host decides are evaluated once here
 * (kept in `decided`), the rest are listed for the one sandbox call.
 */
function collect(c: Compiled, scope: Record<string, unknown>, out: string[], decided: Map<Piece, unknown>): void {
  if (c.t === 'tpl') {
    for (const p of pieces(c.tpl)) {
      if (p.secret || p.malformedSecret) continue;
      const v = p.host ? evaluateHostExpression(p.host, scope) : UNDECIDED;
      if (v === UNDECIDED) out.push(p.expr);
      else decided.set(p, v);
    }
  }
  if (c.t === 'arr') for (const item of c.items) collect(item, scope, out, decided);
  if (c.t === 'obj') for (const [, v] of c.entries) collect(v, scope, out, decided);
}

/** The sandbox's values in order, and the host-decided ones by piece. */
type Cursor = { values: unknown[]; next: number; decided: Map<Piece, unknown> };

async function assemble(c: Compiled, env: RenderEnv, cur: Cursor): Promise<unknown> {
  switch (c.t) {
    case 'const':
      return c.v;
    case 'tpl': {
      if (c.tpl.kind === 'literal') return c.tpl.value;
      if (c.tpl.kind === 'single') return piece(c.tpl.piece, env, cur);
      let out = '';
      for (const part of c.tpl.parts)
        out += typeof part === 'string' ? part : stringifyPart(await piece(part, env, cur));
      return out;
    }
    case 'arr': {
      const out: unknown[] = [];
      for (const item of c.items) out.push(await assemble(item, env, cur));
      return out;
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of c.entries) {
        Object.defineProperty(out, k, {
          value: await assemble(v, env, cur),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
}

async function piece(p: Piece, env: RenderEnv, cur: Cursor): Promise<unknown> {
  if (p.secret) return env.secrets.resolve(p.secret);
  if (p.malformedSecret)
    throw new StepFailure(
      'node_error',
      `Malformed secret reference {{ ${p.expr.slice(0, 200)} }}; the form is {{ secrets.<name>.<path>#<key> }}`,
    );
  if (cur.decided.has(p)) {
    const v = cur.decided.get(p);
    // Objects are copied (the scope's own must not be shared into the output); primitives are values already.
    return v !== null && typeof v === 'object' ? structuredClone(v) : v;
  }
  return cur.values[cur.next++];
}
