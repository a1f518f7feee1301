/**
 * What the engine needs from a sandbox: evaluate `{{ }}` expressions and run code nodes in isolation, with data
 * copied in and out as JSON (never passed by reference). Implementations throw {@link StepFailure} with type
 * `timeout`, `memory` or `user_error`. The production implementation is the sandbox module (sandbox-pool.adapter.ts).
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
}

export interface ScriptSandbox {
  /** Evaluates JavaScript expressions (the inside of `{{ }}`) in one sandbox call; values in order. */
  evaluateAll(orgId: string, expressions: string[], scope: SandboxScope, limits: SandboxLimits): Promise<unknown[]>;
  /** Runs the body of an async function that sees `input`, `trigger`, `nodes` and returns a JSON value. */
  runCode(
    orgId: string,
    code: string,
    scope: SandboxScope,
    limits: SandboxLimits & { signal?: AbortSignal },
  ): Promise<unknown>;
  /**
   * Optional: a sandbox for the calls of ONE run, which may share one context (never with another run). The
   * engine opens one per run and releases it when the run ends.
   */
  openRun?(orgId: string): RunSandbox;
  close(): Promise<void>;
}

/** The calls a node makes: on the shared sandbox, or on its run's own session. */
export type SandboxCalls = Pick<ScriptSandbox, 'evaluateAll' | 'runCode'>;

/** The sandbox of one run: the same calls, bound to the run's context; `release()` when the run ends. */
export interface RunSandbox extends SandboxCalls {
  release(): void;
}
