import { SandboxPool, type JsonValue } from '../sandbox/index.js';
import type { HookName, PluginDefinition } from '../../plugin-sdk/index.js';

export interface PluginSandboxOptions {
  memoryLimitMb: number;
  /** The sandbox's own wall clock for one hook call: at least every sandboxed plugin's largest budget. */
  timeoutMs: number;
}

/** A hook's source as an expression: arrow functions and `function`s as they are, method shorthand wrapped. */
export function hookExpression(name: HookName, fn: (...args: never[]) => unknown): string {
  const src = Function.prototype.toString.call(fn).trim();
  if (/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(src)) return `(${src})`;
  return `({ ${src} })[${JSON.stringify(name)}]`;
}

/**
 * Runs sandboxed plugins' hooks in isolated-vm, in a pool of its own (one host process, started on first use), so a
 * plugin can neither reach flow runs' isolates nor starve them. A hook sees its JSON context only: no `process`,
 * `require`, network or database; its result must be JSON. The hook's source must be self-contained (no closures).
 */
export class PluginSandbox {
  private pool?: SandboxPool;
  private readonly sources = new Map<string, string>();

  constructor(private readonly options: PluginSandboxOptions) {}

  /** The hook's result, or a thrown `Error` whose message names the failure type (`timeout`, `memory`, `user_error`). */
  async call(def: PluginDefinition, hook: HookName, orgId: string, ctx: JsonValue): Promise<unknown> {
    const key = `${def.name}:${hook}`;
    let source = this.sources.get(key);
    if (!source) {
      source = hookExpression(hook, def.hooks[hook] as (...args: never[]) => unknown);
      this.sources.set(key, source);
    }
    this.pool ??= new SandboxPool({ ...this.options, hostProcesses: 1 });
    const result = await this.pool.runCode({
      orgId,
      code: `const hook = ${source};\nreturn await hook(input, {});`,
      input: ctx,
    });
    if (!result.ok) throw Object.assign(new Error(result.error.message), { sandboxType: result.error.type });
    return result.value;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
