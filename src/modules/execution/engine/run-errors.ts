/** The error taxonomy of runs and steps (API.md): what a step failed of, as callers and run records show it. */
export type RunErrorType = 'timeout' | 'memory' | 'user_error' | 'node_error' | 'limit' | 'plugin_error' | 'plugin_timeout';

export interface RunError {
  type: RunErrorType;
  message: string;
  /** The node that failed, when one did. */
  nodeId?: string;
}

/** A typed failure raised by node executors, the sandbox port and the engine. Messages never hold secret values. */
export class StepFailure extends Error {
  constructor(
    readonly type: RunErrorType,
    message: string,
    /** Whether a retry may help (network trouble, 5xx); limits and user errors in code are not retried by default. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** Normalises anything thrown inside a node into a StepFailure (unknown errors become `node_error`). */
export function toStepFailure(e: unknown): StepFailure {
  if (e instanceof StepFailure) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new StepFailure('node_error', message.slice(0, 2000));
}
