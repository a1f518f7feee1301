import ivm from 'isolated-vm';
import { StepFailure } from './run-errors.js';
import { ISOLATE_RUNTIME } from './isolate-runtime.js';
import type { SandboxLimits, SandboxScope, ScriptSandbox } from './sandbox.port.js';

type Runner = ivm.Reference<(kind: string, src: string, scope: string) => string | Promise<string>>;

interface Job {
  kind: 'expr' | 'code';
  src: string;
  scope: string;
  limits: SandboxLimits;
  signal?: AbortSignal;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Largest JSON text accepted back from the sandbox, so a result cannot balloon the host's memory. */
const MAX_RESULT_CHARS = 32 * 1024 * 1024;

/**
 * One isolate with its locked-down context, and a host-side FIFO: one job at a time, so a job that must kill the
 * isolate (timeout, memory) never takes another run's job down with it.
 */
class IsolateWorker {
  private isolate?: ivm.Isolate;
  private runner?: Runner;
  private readonly queue: Job[] = [];
  private busy = false;

  constructor(private readonly memoryMb: number) {}

  get load(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  submit(job: Job): void {
    this.queue.push(job);
    if (!this.busy) void this.drain();
  }

  dispose(): void {
    this.kill();
    for (const job of this.queue.splice(0)) job.reject(new StepFailure('node_error', 'The sandbox is shutting down'));
  }

  private async drain(): Promise<void> {
    this.busy = true;
    while (this.queue.length) {
      const job = this.queue.shift()!;
      try {
        job.resolve(await this.execute(job));
      } catch (e) {
        job.reject(e);
      }
    }
    this.busy = false;
  }

  private async ensure(): Promise<Runner> {
    if (this.runner && this.isolate && !this.isolate.isDisposed) return this.runner;
    this.isolate = new ivm.Isolate({ memoryLimit: this.memoryMb });
    const context = await this.isolate.createContext();
    this.runner = (await context.eval(ISOLATE_RUNTIME, { reference: true })) as Runner;
    return this.runner;
  }

  private kill(): void {
    const iso = this.isolate;
    this.isolate = undefined;
    this.runner = undefined;
    if (iso && !iso.isDisposed) iso.dispose();
  }

  private async execute(job: Job): Promise<unknown> {
    if (job.signal?.aborted) throw new StepFailure('node_error', 'Cancelled');
    const runner = await this.ensure();
    const isolate = this.isolate!;
    let stopped: StepFailure | undefined;
    const stop = (why: StepFailure) => {
      stopped ??= why;
      this.kill();
    };
    // The isolate's own timeout covers synchronous work; this watchdog also covers promise chains.
    const watchdog = setTimeout(() => stop(timeoutFailure(job.limits.timeoutMs)), job.limits.timeoutMs + 50);
    const onAbort = () => stop(new StepFailure('node_error', 'Cancelled'));
    job.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const text = await runner.apply(undefined, [job.kind, job.src, job.scope], {
        timeout: job.limits.timeoutMs,
        result: { promise: job.kind === 'code', copy: true },
      });
      return decode(text as string);
    } catch (e) {
      if (stopped) throw stopped;
      throw this.classify(e, isolate, job.limits);
    } finally {
      clearTimeout(watchdog);
      job.signal?.removeEventListener('abort', onAbort);
    }
  }

  private classify(e: unknown, isolate: ivm.Isolate, limits: SandboxLimits): StepFailure {
    if (e instanceof StepFailure) return e;
    const message = e instanceof Error ? e.message : String(e);
    if (isolate.isDisposed || /memory limit/i.test(message)) {
      this.kill();
      return new StepFailure('memory', `The script exceeded its memory limit of ${limits.memoryMb} MiB`);
    }
    if (/timed out/i.test(message)) {
      this.kill();
      return timeoutFailure(limits.timeoutMs);
    }
    return new StepFailure('user_error', message.slice(0, 2000));
  }
}

const timeoutFailure = (ms: number) => new StepFailure('timeout', `The script did not finish within ${ms} ms`);

function decode(text: string): unknown {
  if (typeof text !== 'string' || text.length > MAX_RESULT_CHARS) {
    throw new StepFailure('memory', 'The script returned a value larger than the sandbox allows');
  }
  const parsed = JSON.parse(text) as { v?: unknown; u?: 1; e?: string };
  if (parsed.e !== undefined) throw new StepFailure('user_error', parsed.e);
  return parsed.u ? undefined : parsed.v;
}

/**
 * An isolated-vm pool implementing the sandbox port: a few isolates, each with one frozen context, jobs sent to the
 * least loaded. Scope and results cross as JSON text (copies; nothing by reference). An isolate that times out,
 * exhausts memory or is cancelled is disposed and replaced on next use.
 */
export class IsolateSandbox implements ScriptSandbox {
  private readonly workers: IsolateWorker[];

  constructor(opts: { isolates?: number; memoryMb?: number } = {}) {
    const n = Math.max(1, opts.isolates ?? 2);
    this.workers = Array.from({ length: n }, () => new IsolateWorker(opts.memoryMb ?? 64));
  }

  evaluate(expression: string, scope: SandboxScope, limits: SandboxLimits): Promise<unknown> {
    return this.submit('expr', expression, scope, limits);
  }

  runCode(code: string, scope: SandboxScope, limits: SandboxLimits & { signal?: AbortSignal }): Promise<unknown> {
    return this.submit('code', code, scope, limits, limits.signal);
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.dispose();
  }

  private submit(kind: 'expr' | 'code', src: string, scope: SandboxScope, limits: SandboxLimits, signal?: AbortSignal): Promise<unknown> {
    let scopeText: string;
    try {
      scopeText = JSON.stringify(scope);
    } catch {
      return Promise.reject(new StepFailure('node_error', 'The data given to the script is not serialisable'));
    }
    const worker = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
    return new Promise((resolve, reject) => worker.submit({ kind, src, scope: scopeText, limits, signal, resolve, reject }));
  }
}
