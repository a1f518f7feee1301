// Messages between the API process (SandboxPool) and a sandbox host process, over the fork IPC channel.
// Types only: host files import this with `import type`, so the host runs from source under Node's type stripping.

/** Fixed for the life of a host process; passed as argv[2] (JSON). */
export interface HostConfig {
  memoryLimitMb: number;
  consoleMaxBytes: number;
  outputMaxBytes: number;
  maxIdleIsolates: number;
  maxIsolatesPerOrg: number;
  hostMemoryLimitMb: number;
  /** RSS growth allowed per running job before the host dies (memory-budget.ts). */
  jobMemoryBudgetMb: number;
}

export type JobSpec = { kind: 'code'; code: string } | { kind: 'expressions'; expressions: string[] };

export type JobRequest = JobSpec & {
  type: 'job';
  id: number;
  orgId: string;
  /** JSON of `{ trigger, nodes, input }`; parsed inside the isolate, so nothing is shared by reference. */
  dataJson: string;
  timeoutMs: number;
  /** Run session: the calls of one run share one context, created by its first call (see isolate-pool.ts). */
  session?: number;
};

/** The run ended: release its context. */
export interface CloseSession {
  type: 'close';
  orgId: string;
  session: number;
}

/**
 * `value.json` and `error.message` come from inside the isolate and are untrusted data: the pool validates them.
 * `consoleJson` is a JSON array of strings, produced inside the isolate as well.
 */
export type JobOutcome =
  | { kind: 'value'; json: string; consoleJson: string }
  | { kind: 'error'; type: 'user_error' | 'memory'; message: string; expressionIndex?: number; consoleJson: string }
  | { kind: 'output_too_large'; consoleJson: string }
  | { kind: 'timeout'; consoleJson: string }
  | { kind: 'memory' };

export interface JobResponse {
  type: 'result';
  id: number;
  isolateId: string;
  outcome: JobOutcome;
}

/**
 * Sent just before the host kills itself; the listed jobs caused it. `limit` is what they exceeded: V8's
 * catastrophic error says "Script failed to terminate" for code stuck in an uninterruptible builtin at its
 * deadline (a timeout), and names out-of-memory otherwise; the RSS budget is memory.
 */
export interface FatalNotice {
  type: 'fatal';
  limit: 'timeout' | 'memory';
  jobIds: number[];
}

// Both directions coalesce what one event-loop turn produced into one message: one write instead of dozens.
export type HostToPool = { type: 'ready' } | { type: 'results'; results: JobResponse[] } | FatalNotice;
export type PoolToHost = JobRequest | CloseSession | { type: 'batch'; messages: PoolToHost[] } | { type: 'shutdown' };
