/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Why a sandbox run failed. `user_error` covers thrown errors, syntax errors and oversized output. */
export type SandboxErrorType = 'timeout' | 'memory' | 'user_error';

/** Serializable failure description, written for the flow author (no host stack, no host paths). */
export interface SandboxErrorInfo {
  type: SandboxErrorType;
  message: string;
}

/** Outcome of one sandbox call. A failure is a value, never a rejection. */
export type SandboxResult<T = JsonValue> =
  { ok: true; value: T; console: string[] } | { ok: false; error: SandboxErrorInfo; console: string[] };

/** What expressions and code see: `trigger`, `nodes.<id>.output` and `input` (the previous node's output). */
export interface SandboxData {
  trigger?: JsonValue;
  nodes?: Record<string, { output?: JsonValue }>;
  input?: JsonValue;
}

export interface RunCodeRequest extends SandboxData {
  orgId: string;
  /** Body of an async function that sees `input`, `trigger` and `nodes` and returns a JSON value. */
  code: string;
}

export interface EvaluateRequest {
  orgId: string;
  /** One JavaScript expression, without the `{{ }}`. */
  expression: string;
  context: SandboxData;
}

export interface EvaluateAllRequest {
  orgId: string;
  expressions: string[];
  context: SandboxData;
}

/** Emitted after every sandbox call; meant for metrics and diagnostics. */
export interface SandboxRunInfo {
  orgId: string;
  kind: 'code' | 'expressions';
  /** Opaque id of the isolate that ran the call (`<host pid>:<n>`), absent when the host process died. */
  isolateId?: string;
  durationMs: number;
  outcome: 'ok' | SandboxErrorType;
}

export interface SandboxPoolOptions {
  /** Heap limit of one isolate (one run), MiB. Default 64. */
  memoryLimitMb?: number;
  /** Wall-clock limit of one run, from the moment it starts executing (queueing excluded). Default 5000. */
  timeoutMs?: number;
  /** Concurrent runs (hence isolates) one org may use; further runs wait in a FIFO queue. Default 4. */
  maxIsolatesPerOrg?: number;
  /** Warm idle isolates kept per host process, all orgs together; least recently used go first. Default 32. */
  maxIdleIsolates?: number;
  /** Console output kept per run, bytes (UTF-8). Default 64 KiB. */
  consoleMaxBytes?: number;
  /** Size of a run's JSON result, bytes (UTF-8). Default 1 MiB. */
  outputMaxBytes?: number;
  /** Number of sandbox host processes. Default 2. */
  hostProcesses?: number;
  /**
   * RSS budget of one host process, MiB. Some allocations (Intl objects) are not charged to the isolate
   * heap limit; a host that grows past this is killed and replaced. Default 1024. Besides, each running job may
   * grow its host by at most 2.5 x `memoryLimitMb` + 16 MiB (host/memory-budget.ts).
   */
  hostMemoryLimitMb?: number;
  /** Observability hook, called after every call. Must not throw. */
  onRun?: (info: SandboxRunInfo) => void;
}

export type ResolvedPoolOptions = Required<Omit<SandboxPoolOptions, 'onRun'>> & Pick<SandboxPoolOptions, 'onRun'>;

export const SANDBOX_DEFAULTS = {
  memoryLimitMb: 64,
  timeoutMs: 5000,
  maxIsolatesPerOrg: 4,
  maxIdleIsolates: 32,
  consoleMaxBytes: 64 * 1024,
  outputMaxBytes: 1024 * 1024,
  hostProcesses: 2,
  hostMemoryLimitMb: 1024,
} as const satisfies Required<Omit<SandboxPoolOptions, 'onRun'>>;
