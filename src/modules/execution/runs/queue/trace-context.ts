/** The trace context a queued job carries from the API to the worker (W3C `traceparent`); none while tracing is off. */
export function injectTraceContext(): Record<string, string> | undefined {
  return undefined;
}

/** Runs `fn` in the trace a job carried. */
export function withTraceContext<T>(_carrier: Record<string, string> | undefined, fn: () => Promise<T>): Promise<T> {
  return fn();
}
