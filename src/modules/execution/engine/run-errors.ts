/** The error taxonomy of runs and steps (API.md): what a step failed of, as callers and run records show it. */
export type RunErrorType =
  'timeout' | 'memory' | 'user_error' | 'node_error' | 'limit' | 'plugin_error' | 'plugin_timeout';

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

// What a message must not carry to a run record or a webhook caller: stack frames, paths, file URLs, internals.
const UNSAFE_MESSAGE =
  /\n|(^|[\s(])\/[\w.-]+\/|[A-Za-z]:\\|file:\/\/|node:internal|node_modules|\.(?:[cm]?js|ts):\d|\bat .*:\d+:\d+/;
export const INTERNAL_ERROR_MESSAGE = 'The node failed with an internal error';

/**
 * Normalises anything thrown inside a node into a StepFailure (unknown errors become `node_error`). An unknown
 * error keeps its message only when that message is one safe line; otherwise the run gets a fixed message.
 */
export function toStepFailure(e: unknown): StepFailure {
  if (e instanceof StepFailure) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new StepFailure('node_error', UNSAFE_MESSAGE.test(message) ? INTERNAL_ERROR_MESSAGE : message.slice(0, 2000));
}
