import { StepFailure } from './run-errors.js';
import type { SandboxCalls, SandboxLimits, SandboxScope } from './sandbox.port.js';
import { evaluateHostExpression, UNDECIDED } from './host-expression.js';
import { parseTemplate, stringifyPart, type Piece, type SecretRef, type Template } from './template.js';

/** Resolves `{{ secrets.<provider>.<path>#<key> }}` for one run and remembers each value for redaction. */
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

/** Parses every template in a parameter tree once; the result is cached per definition object. */
export function compileValue(value: unknown): Compiled {
  if (typeof value === 'string') {
    const tpl = parseTemplate(value);
    return tpl.kind === 'literal' ? { t: 'const', v: value } : { t: 'tpl', tpl };
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
export async function renderValue(value: unknown, scope: SandboxScope, env: RenderEnv, at = 'params'): Promise<unknown> {
  const compiled = compileValue(value);
  if (compiled.t === 'const') return compiled.v;
  const wanted: string[] = [];
  collect(compiled, scope, wanted);
  let values: unknown[] = [];
  if (wanted.length) {
    try {
      values = await env.sandbox.evaluateAll(env.orgId, wanted, scope, env.limits);
    } catch (e) {
      if (e instanceof StepFailure && e.type === 'user_error') throw new StepFailure('user_error', `Expression in ${at} failed: ${e.message}`);
      throw e;
    }
  }
  return assemble(compiled, scope, env, { values, next: 0 });
}

/** True when the piece is answered on the host (a secret reference, or an expression the host can decide). */
function onHost(p: Piece, scope: SandboxScope): boolean {
  return !!p.secret || (!!p.host && evaluateHostExpression(p.host, scope as unknown as Record<string, unknown>) !== UNDECIDED);
}

function pieces(tpl: Template): Piece[] {
  if (tpl.kind === 'single') return [tpl.piece];
  if (tpl.kind === 'mixed') return tpl.parts.filter((p): p is Piece => typeof p !== 'string');
  return [];
}

function collect(c: Compiled, scope: SandboxScope, out: string[]): void {
  if (c.t === 'tpl') for (const p of pieces(c.tpl)) if (!onHost(p, scope)) out.push(p.expr);
  if (c.t === 'arr') for (const item of c.items) collect(item, scope, out);
  if (c.t === 'obj') for (const [, v] of c.entries) collect(v, scope, out);
}

type Cursor = { values: unknown[]; next: number };

async function assemble(c: Compiled, scope: SandboxScope, env: RenderEnv, cur: Cursor): Promise<unknown> {
  switch (c.t) {
    case 'const':
      return c.v;
    case 'tpl': {
      if (c.tpl.kind === 'literal') return c.tpl.value;
      if (c.tpl.kind === 'single') return piece(c.tpl.piece, scope, env, cur);
      let out = '';
      for (const part of c.tpl.parts) out += typeof part === 'string' ? part : stringifyPart(await piece(part, scope, env, cur));
      return out;
    }
    case 'arr': {
      const out: unknown[] = [];
      for (const item of c.items) out.push(await assemble(item, scope, env, cur));
      return out;
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of c.entries) {
        Object.defineProperty(out, k, { value: await assemble(v, scope, env, cur), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
}

async function piece(p: Piece, scope: SandboxScope, env: RenderEnv, cur: Cursor): Promise<unknown> {
  if (p.secret) return env.secrets.resolve(p.secret);
  if (p.host) {
    const v = evaluateHostExpression(p.host, scope as unknown as Record<string, unknown>);
    if (v !== UNDECIDED) return v === undefined ? undefined : structuredClone(v);
  }
  return cur.values[cur.next++];
}
