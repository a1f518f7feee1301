import { codeSource, expressionsSource } from './bootstrap-source.js';
import { DeadlineGuard, EMPTY_CONSOLE, readConsole } from './deadline-guard.js';
import type { IsolateEntry, PreparedContext } from './isolate-entry.js';
import type { RunSession } from './isolate-pool.js';
import type { HostConfig, JobOutcome, JobRequest } from './protocol.js';

export interface JobRun {
  outcome: JobOutcome;
  /** False when the isolate must not run anything else (limit tripped, or state in doubt). */
  healthy: boolean;
  /** The compartment refused the source as a syntax error (see locateSyntaxError). */
  syntax?: boolean;
}

const MAX_MESSAGE = 2000;

/**
 * Runs one job: in its run session's compartment (created by the session's first job, kept for its later ones),
 * or, without a session, in a compartment nobody used before, released at once. The wall clock starts once the
 * isolate is locked down. Limits: the isolate's memory limit, ivm's `timeout` on every call into the isolate,
 * and a wall-clock watchdog that disposes the isolate at the deadline, since `timeout` does not cover a promise that simply never settles.
 */
export async function runJob(
  entry: IsolateEntry,
  job: JobRequest,
  config: HostConfig,
  onStuck: (entry: IsolateEntry) => void,
  session?: RunSession,
): Promise<JobRun> {
  try {
    await entry.whenReady(); // lockdown is the isolate's set-up, not the run's time
  } catch {
    return { outcome: { kind: 'memory' }, healthy: false }; // only a limit stops our own bootstrap
  }
  const deadline = Date.now() + job.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  let prepared: PreparedContext | undefined;
  const guard = new DeadlineGuard(entry, job.timeoutMs, () => prepared, onStuck);
  let keep = false;
  try {
    prepared = await contextFor(entry, session, remaining());
    const args = [job.kind, jobSource(job), job.dataJson, config.outputMaxBytes, config.consoleMaxBytes];
    const frame = await prepared.runner.apply(undefined, args, { timeout: remaining(), result: { promise: true } });
    const run = readFrame(frame, config);
    if (run.syntax) {
      run.outcome = await locateSyntaxError(entry, job, run.outcome);
    }
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

function jobSource(job: JobRequest): string {
  return job.kind === 'code' ? codeSource(job.code) : expressionsSource(job.expressions);
}

async function contextFor(entry: IsolateEntry, session: RunSession | undefined, timeoutMs: number) {
  if (!session) {
    return entry.takeContext(timeoutMs);
  }
  session.context ??= entry.takeContext(timeoutMs);
  return session.context;
}

/**
 * The compartment refused the source as a syntax error. V8's message from inside the isolate has no line, so
 * the source is compiled once more on the host to name it; a source V8 accepts was refused by SES itself
 * (an `import(` or an HTML comment token), and SES's message stands.
 */
async function locateSyntaxError(entry: IsolateEntry, job: JobRequest, outcome: JobOutcome): Promise<JobOutcome> {
  const isCode = job.kind === 'code';
  try {
    await entry.syntaxCheck(jobSource(job), isCode ? 'code.js' : 'expression.js');
    return outcome;
  } catch (err) {
    if (entry.isolate.isDisposed || !(err instanceof Error) || err.name !== 'SyntaxError') {
      return outcome;
    }
    const message = syntaxMessage(err, isCode);
    const expressionIndex = isCode ? undefined : await findBadExpression(entry, job.expressions);
    return { kind: 'error', type: 'user_error', message, expressionIndex, consoleJson: EMPTY_CONSOLE };
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
  let parsed: { message?: unknown; type?: unknown; index?: unknown; syntax?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return userError('The sandbox returned an unreadable result', consoleJson);
  }
  const message = typeof parsed.message === 'string' ? parsed.message.slice(0, MAX_MESSAGE) : 'Unknown error';
  const expressionIndex = typeof parsed.index === 'number' ? parsed.index : undefined;
  // An allocation refused for its size (see bootstrap-source.ts) leaves the isolate at its limit: replace it.
  const type: 'memory' | 'user_error' = parsed.type === 'memory' ? 'memory' : 'user_error';
  const outcome = { kind: 'error' as const, type, message, expressionIndex, consoleJson };
  return { outcome, healthy: type !== 'memory', syntax: parsed.syntax === true };
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
  } catch {
    // The isolate is already disposed; nothing left to release.
  }
}
