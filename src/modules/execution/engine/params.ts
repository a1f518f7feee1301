import { StepFailure } from './run-errors.js';
import type { SandboxLimits, SandboxScope, ScriptSandbox } from './sandbox.port.js';
import { parseTemplate, readPath, stringifyPart, UNDECIDED, type Piece, type SecretRef, type Template } from './template.js';

/** Resolves `{{ secrets.<provider>.<path>#<key> }}` for one run and remembers each value for redaction. */
export interface RunSecrets {
  resolve(ref: SecretRef): Promise<string>;
}

export interface RenderEnv {
  sandbox: ScriptSandbox;
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

/** Renders a (compiled) parameter value against the scope. Results are fresh values, never parsed again. */
export async function renderValue(value: unknown, scope: SandboxScope, env: RenderEnv, at = 'params'): Promise<unknown> {
  return renderCompiled(compileValue(value), scope, env, at);
}

async function renderCompiled(c: Compiled, scope: SandboxScope, env: RenderEnv, at: string): Promise<unknown> {
  switch (c.t) {
    case 'const':
      return c.v;
    case 'tpl':
      return renderTemplate(c.tpl, scope, env, at);
    case 'arr': {
      const out: unknown[] = [];
      for (let i = 0; i < c.items.length; i++) out.push(await renderCompiled(c.items[i], scope, env, `${at}[${i}]`));
      return out;
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of c.entries) {
        Object.defineProperty(out, k, { value: await renderCompiled(v, scope, env, `${at}.${k}`), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
}

async function renderTemplate(tpl: Template, scope: SandboxScope, env: RenderEnv, at: string): Promise<unknown> {
  if (tpl.kind === 'literal') return tpl.value;
  if (tpl.kind === 'single') return evaluatePiece(tpl.piece, scope, env, at);
  let out = '';
  for (const part of tpl.parts) out += typeof part === 'string' ? part : stringifyPart(await evaluatePiece(part, scope, env, at));
  return out;
}

async function evaluatePiece(p: Piece, scope: SandboxScope, env: RenderEnv, at: string): Promise<unknown> {
  if (p.secret) return env.secrets.resolve(p.secret);
  if (p.path) {
    const v = readPath(scope as unknown as Record<string, unknown>, p.path);
    if (v !== UNDECIDED) return v === undefined ? undefined : structuredClone(v);
  }
  try {
    return await env.sandbox.evaluate(p.expr, scope, env.limits);
  } catch (e) {
    if (e instanceof StepFailure && e.type === 'user_error') throw new StepFailure('user_error', `Expression at ${at} failed: ${e.message}`);
    throw e;
  }
}
