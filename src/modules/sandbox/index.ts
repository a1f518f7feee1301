/**
 * Sandbox module: runs flow authors' code (the `code` node) and `{{ }}` expressions in isolated-vm.
 *
 * ```ts
 * const pool = new SandboxPool({ timeoutMs: 5000, memoryLimitMb: 64 });
 * const run = await pool.runCode({ orgId, code: 'return { doubled: input.total * 2 };', input, trigger, nodes });
 * await pool.close();
 * ```
 *
 * Contract:
 * - `runCode({ orgId, code, input, trigger, nodes })`: `code` is the body of an async function that sees
 *   `input`, `trigger` and `nodes` and returns a JSON value (`undefined` becomes `null`).
 * - `evaluate({ orgId, expression, context })`: one expression; `evaluateAll({ orgId, expressions, context })`:
 *   many in one sandbox call. Expressions see `trigger`, `nodes` (`nodes.<id>.output`) and `input`.
 * - `openRun(orgId)` → `SandboxRun` (`evaluateAll(expressions, context)`, `runCode({ code, ... })`, `close()`):
 *   the calls of one run share one context, created by the first call and released by `close()`.
 * - `{{ }}` templates are parsed by the flows module's grammar and rendered by the engine (execution's renderValue),
 *   which sends the expressions the host cannot decide here in one `evaluateAll` call.
 * - Every call resolves to a `SandboxResult`: `{ ok: true, value, console }` or
 *   `{ ok: false, error: { type: 'timeout' | 'memory' | 'user_error', message }, console }`. A sandbox failure
 *   never rejects; calls reject only on misuse (closed pool, bad arguments, data that is not JSON) or when a
 *   sandbox host process cannot start. `unwrapSandboxResult` / `sandboxErrorFromInfo` give typed errors.
 * - Each one-off call, and each run session, runs in a fresh SES Compartment (no state survives it) in a warm,
 *   locked-down isolate that only ever serves that org (shared built-ins are frozen, so code that modifies them
 *   fails); isolates are replaced whenever a limit trips. Limits per call: heap
 *   (`memoryLimitMb`), wall clock (`timeoutMs`, from the moment the call starts executing), console
 *   (`consoleMaxBytes`) and result size (`outputMaxBytes`). Isolates run in separate host processes, so
 *   even a V8 abort costs a host process, never the caller's (see sandbox-pool.ts).
 * - `onRun` (pool option) reports every call for metrics: org, kind, isolate id, duration, outcome.
 */
export { SandboxPool } from './sandbox-pool.js';
export { SandboxRun } from './sandbox-run.js';
export {
  SandboxError,
  SandboxMemoryError,
  SandboxTimeoutError,
  SandboxUnavailableError,
  SandboxUserError,
  sandboxErrorFromInfo,
  unwrapSandboxResult,
} from './sandbox.errors.js';
export {
  SANDBOX_DEFAULTS,
  type EvaluateAllRequest,
  type EvaluateRequest,
  type JsonValue,
  type RunCodeRequest,
  type SandboxData,
  type SandboxErrorInfo,
  type SandboxErrorType,
  type SandboxPoolOptions,
  type SandboxResult,
  type SandboxRunInfo,
} from './sandbox.types.js';
