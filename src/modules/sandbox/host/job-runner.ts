import type ivm from 'isolated-vm';
import { codeSource, expressionsSource } from './bootstrap-source.js';
import { DeadlineGuard, EMPTY_CONSOLE, readConsole } from './deadline-guard.js';
import type { IsolateEntry, PreparedContext } from './isolate-entry.js';
import type { RunSession } from './isolate-pool.js';
import type { HostConfig, JobOutcome, JobRequest } from './protocol.js';

export interface JobRun {
  outcome: JobOutcome;
  /** False when the isolate must not run anything else (limit tripped, or state in doubt). */
  healthy: boolean;
}

const MAX_MESSAGE = 2000;

/**
 * Runs one job: in its run session's context (created by the session's first job, kept for its later ones), or,
 * without a session, in a context nobody used before, released at once. Limits: the isolate's
 * memory limit, ivm's `timeout` on every call into the isolate, and a wall-clock watchdog that disposes
 * the isolate at the deadline, since `timeout` does not cover a promise that simply never settles.
 */
export async function runJob(
  entry: IsolateEntry,
  job: JobRequest,
  config: HostConfig,
  onStuck: (entry: IsolateEntry) => void,
  session?: RunSession,
): Promise<JobRun> {
  const deadline = Date.now() + job.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  let prepared: PreparedContext | undefined;
  const guard = new DeadlineGuard(entry, job.timeoutMs, () => prepared, onStuck);
  let keep = false;
  try {
    prepared = await contextFor(entry, session, remaining());
    const compiled = await compileJob(entry, job);
    if ('outcome' in compiled) {
      keep = session !== undefined;
      return { outcome: compiled.outcome, healthy: true };
    }
    const fn = await compiled.script.run(prepared.context, { reference: true, timeout: remaining() });
    const frame = await prepared.runner.apply(
      undefined,
      [job.kind, fn.derefInto(), job.dataJson, config.outputMaxBytes, config.consoleMaxBytes],
      { timeout: remaining(), result: { promise: true } },
    );
    fn.release();
    const run = readFrame(frame, config);
    keep = session !== undefined && run.healthy;
    return run;
  } catch (err) {
    return await classifyFailure(err, entry, prepared, guard);
  } finally {
    guard.stop();
    if (!keep) {
      releaseQuietly(prepared);
      if (session) {
        session.context = undefined;
      }
    }
  }
}

async function contextFor(entry: IsolateEntry, session: RunSession | undefined, timeoutMs: number) {
  if (!session) {
    return entry.takeContext(timeoutMs);
  }
  session.context ??= entry.takeContext(timeoutMs);
  return session.context;
}

/** Resolves to the compiled script, or to a `user_error` outcome for a syntax error. */
async function compileJob(
  entry: IsolateEntry,
  job: JobRequest,
): Promise<{ script: ivm.Script } | { outcome: JobOutcome }> {
  const isCode = job.kind === 'code';
  const source = isCode ? codeSource(job.code) : expressionsSource(job.expressions);
  try {
    return { script: await entry.compile(source, isCode ? 'code.js' : 'expression.js') };
  } catch (err) {
    // ivm rebuilds isolate errors host-side with the same name; anything but a SyntaxError is a limit or a fault.
    if (entry.isolate.isDisposed || !(err instanceof Error) || err.name !== 'SyntaxError') {
      throw err;
    }
    const message = syntaxMessage(err, isCode);
    const expressionIndex = isCode ? undefined : await findBadExpression(entry, job.expressions);
    return { outcome: { kind: 'error', type: 'user_error', message, expressionIndex, consoleJson: EMPTY_CONSOLE } };
  }
}

/** A batch failed to compile: compile its expressions one by one to name the culprit (error path only). */
async function findBadExpression(entry: IsolateEntry, expressions: string[]): Promise<number | undefined> {
  for (let index = 0; index < expressions.length; index++) {
    try {
      const script = await entry.isolate.compileScript(expressionsSource([expressions[index]]));
      script.release();
    } catch {
      return index;
    }
  }
  return undefined;
}

// ivm formats compile errors as "Unexpected token '}' [code.js:3:10]"; authors get "(line 3)" instead.
function syntaxMessage(err: Error, withLine: boolean): string {
  const match = /^(.*) \[[^\]]*:(\d+):\d+\]$/s.exec(err.message);
  const text = match ? match[1] : err.message;
  const line = withLine && match ? ` (line ${match[2]})` : '';
  return `SyntaxError: ${text}${line}`.slice(0, MAX_MESSAGE);
}

/** Splits the runner's `<console JSON>\n<status><body>` frame (see bootstrap-source.ts). */
function readFrame(frame: unknown, config: HostConfig): JobRun {
  const cut = typeof frame === 'string' ? frame.indexOf('\n') : -1;
  if (typeof frame !== 'string' || cut < 0) {
    return userError('The sandbox returned an unreadable result', EMPTY_CONSOLE);
  }
  const consoleJson = frame.slice(0, cut);
  const status = frame[cut + 1];
  const body = frame.slice(cut + 2);
  if (status === 'v') {
    return Buffer.byteLength(body) > config.outputMaxBytes
      ? { outcome: { kind: 'output_too_large', consoleJson }, healthy: true }
      : { outcome: { kind: 'value', json: body, consoleJson }, healthy: true };
  }
  if (status === 'o') {
    return { outcome: { kind: 'output_too_large', consoleJson }, healthy: true };
  }
  return readErrorBody(body, consoleJson);
}

function readErrorBody(body: string, consoleJson: string): JobRun {
  let parsed: { message?: unknown; type?: unknown; index?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return userError('The sandbox returned an unreadable result', consoleJson);
  }
  const message = typeof parsed.message === 'string' ? parsed.message.slice(0, MAX_MESSAGE) : 'Unknown error';
  const expressionIndex = typeof parsed.index === 'number' ? parsed.index : undefined;
  // An allocation refused for its size (see bootstrap-source.ts) leaves the isolate at its limit: replace it.
  const type = parsed.type === 'memory' ? 'memory' : 'user_error';
  return { outcome: { kind: 'error', type, message, expressionIndex, consoleJson }, healthy: type !== 'memory' };
}

function userError(message: string, consoleJson: string): JobRun {
  return { outcome: { kind: 'error', type: 'user_error', message, consoleJson }, healthy: false };
}

async function classifyFailure(
  err: unknown,
  entry: IsolateEntry,
  prepared: PreparedContext | undefined,
  guard: DeadlineGuard,
): Promise<JobRun> {
  const message = err instanceof Error ? err.message : String(err);
  if (guard.fired) {
    return { outcome: { kind: 'timeout', consoleJson: guard.console }, healthy: false };
  }
  if (/timed out/i.test(message)) {
    return { outcome: { kind: 'timeout', consoleJson: await readConsole(entry, prepared) }, healthy: false };
  }
  if (entry.isolate.isDisposed || /memory limit/i.test(message)) {
    return { outcome: { kind: 'memory' }, healthy: false };
  }
  // A user exception thrown while the script itself evaluated (code outside the wrapper function). Only the
  // message crosses: the ivm error's stack would show host frames.
  const name = err instanceof Error ? err.name : 'Error';
  return userError(`${name}: ${message}`.slice(0, MAX_MESSAGE), EMPTY_CONSOLE);
}

function releaseQuietly(prepared: PreparedContext | undefined): void {
  try {
    prepared?.runner.release();
    prepared?.context.release();
  } catch {
    // The isolate is already disposed; nothing left to release.
  }
}
