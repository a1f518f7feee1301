/**
 * What the engine needs from the sandbox module: evaluate `{{ }}` expressions and run code nodes in isolation,
 * with data copied in and out as JSON (never passed by reference). Implementations throw {@link StepFailure}
 * with type `timeout`, `memory` or `user_error`.
 */
export interface SandboxLimits {
  timeoutMs: number;
  memoryMb: number;
}

/** The names an expression or code node sees. */
export interface SandboxScope {
  trigger: unknown;
  nodes: Record<string, { output: unknown }>;
  input: unknown;
  loop?: { item: unknown; index: number };
}

export interface ScriptSandbox {
  /** Evaluates one JavaScript expression (the inside of `{{ }}`) and returns its JSON value. */
  evaluate(expression: string, scope: SandboxScope, limits: SandboxLimits): Promise<unknown>;
  /** Runs the body of an async function that sees `input`, `trigger`, `nodes` and returns a JSON value. */
  runCode(code: string, scope: SandboxScope, limits: SandboxLimits & { signal?: AbortSignal }): Promise<unknown>;
  close(): Promise<void>;
}

export const SCRIPT_SANDBOX = Symbol('SCRIPT_SANDBOX');
