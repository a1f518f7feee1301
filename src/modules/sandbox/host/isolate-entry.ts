import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import ivm from 'isolated-vm';
import { BOOTSTRAP_SOURCE, PRELUDE_SOURCE } from './bootstrap-source.js';

// A long-lived isolate accumulates compiled code and internal caches; recycling it bounds that growth. Each new
// isolate costs a SES lockdown (~150 ms of CPU), so this is 0.03 ms per run; the heap limit bounds the rest.
const MAX_RUNS_PER_ISOLATE = 5000;
// SES plus lockdown take ~150 ms of CPU (more on a loaded machine); this only catches a realm that hangs.
const REALM_TIMEOUT_MS = 20_000;

// `ses/package.json` is exported; the browser-style bundle beside it is not, but it is what an isolate can run.
const SES_SOURCE = readFileSync(
  new URL('dist/ses.umd.min.js', pathToFileURL(createRequire(import.meta.url).resolve('ses/package.json'))),
  'utf8',
);
// V8's code cache for the SES source, made by the first isolate of this process, saves the next ones a parse.
let sesCodeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

let isolateCounter = 0;

/** The isolate's one context, locked down: `open` makes a run's compartment (see bootstrap-source.ts). */
interface Realm {
  context: ivm.Context;
  open: ivm.Reference<() => unknown>;
}

/** A fresh compartment and console (one run's), ready for that run's jobs. */
export interface PreparedContext {
  runner: ivm.Reference<(...args: unknown[]) => Promise<string>>;
}

/** One isolate, owned by exactly one org for its whole life. Runs one job at a time (see lock()). */
export class IsolateEntry {
  readonly id: string;
  private owner: string | undefined;
  readonly isolate: ivm.Isolate;
  /** The job running now (one at a time): blamed if the isolate takes the process down. */
  currentJobId: number | undefined;
  lastUsed = Date.now();
  /** Run sessions whose context lives in this isolate. */
  sessions = 0;
  private locked = false;
  private readonly waiters: Array<() => void> = [];
  private runs = 0;
  private readonly realm: Promise<Realm>;
  private next: Promise<PreparedContext> | undefined;
  private nextReady = false;

  /** `orgId` undefined makes a spare: locked down ahead of need, owned by nobody until adopt(). */
  constructor(
    orgId: string | undefined,
    memoryLimitMb: number,
    onCatastrophe: (entry: IsolateEntry, message: string) => void,
  ) {
    this.id = `${process.pid}:${++isolateCounter}`;
    this.owner = orgId;
    // Without this callback V8 aborts the whole process on a catastrophic OOM; with it the isolate hangs
    // forever. Either way the process is lost, so the callback reports the culprit and the host exits.
    this.isolate = new ivm.Isolate({
      memoryLimit: memoryLimitMb,
      onCatastrophicError: (message) => onCatastrophe(this, message),
    });
    this.realm = this.lockDown();
    this.realm.catch(() => undefined); // surfaced by takeContext()
  }

  /** True when a pre-warmed context is built and waiting: the next job starts without delay. */
  get ready(): boolean {
    return this.nextReady;
  }

  get alive(): boolean {
    return !this.isolate.isDisposed;
  }

  /** Jobs holding or waiting for this isolate. */
  get load(): number {
    return (this.locked ? 1 : 0) + this.waiters.length;
  }

  /**
   * One job at a time: the job running when a limit trips is the only one blamed, and a job's wall clock
   * starts when it holds the isolate (queueing excluded). FIFO.
   */
  async lock(): Promise<void> {
    if (this.locked) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.locked = true;
  }

  /** Hands the isolate to the next waiter (who re-checks `alive`), or frees it. */
  unlock(): void {
    const next = this.waiters.shift();
    if (next) {
      next();
    } else {
      this.locked = false;
    }
  }

  get reusable(): boolean {
    return !this.isolate.isDisposed && this.runs < MAX_RUNS_PER_ISOLATE;
  }

  /** The org this isolate serves for its whole life ('' for a spare nobody adopted yet). */
  get orgId(): string {
    return this.owner ?? '';
  }

  /** A spare becomes one org's isolate, for good. It never ran anyone's code before. */
  adopt(orgId: string): this {
    if (this.owner !== undefined) {
      throw new Error('This isolate already serves an org');
    }
    this.owner = orgId;
    return this;
  }

  /** Resolves once SES is locked down in the isolate (a run's wall clock starts after that). */
  async whenReady(): Promise<void> {
    await this.realm;
  }

  /** Compiles a source only to locate its syntax error (error path); rejects with the V8 SyntaxError. */
  async syntaxCheck(source: string, filename: string): Promise<void> {
    const script = await this.isolate.compileScript(source, { filename, lineOffset: -1 });
    script.release();
  }

  /** Hands out the pre-warmed context if there is one; every job gets a context nobody used before. */
  takeContext(timeoutMs: number): Promise<PreparedContext> {
    this.runs++;
    this.lastUsed = Date.now();
    const prepared = this.next ?? this.prepare(timeoutMs);
    this.next = undefined;
    this.nextReady = false;
    return prepared;
  }

  /** Builds the next context while the isolate is idle, taking ~0.6 ms off the next job's latency. */
  prewarm(timeoutMs: number): void {
    if (!this.next && this.reusable) {
      const next = this.prepare(timeoutMs);
      this.next = next;
      next.then(
        () => (this.nextReady = this.next === next),
        () => undefined, // surfaced by takeContext()
      );
    }
  }

  dispose(): void {
    const pending = this.next;
    this.next = undefined;
    pending?.then(
      (p) => p.runner.release(),
      () => undefined,
    );
    if (!this.isolate.isDisposed) {
      this.isolate.dispose();
    }
  }

  private async prepare(timeoutMs: number): Promise<PreparedContext> {
    const realm = await this.realm;
    const runner = await realm.open.apply(undefined, [], { result: { reference: true }, timeout: timeoutMs });
    return { runner: runner as PreparedContext['runner'] };
  }

  /** One context per isolate: SES, then the bootstrap (lockdown), whose completion value is `open`. */
  private async lockDown(): Promise<Realm> {
    const context = await this.isolate.createContext();
    await context.eval(PRELUDE_SOURCE, { timeout: REALM_TIMEOUT_MS });
    const cache = sesCodeCache;
    const ses = (await this.isolate.compileScript(SES_SOURCE, {
      filename: 'ses.js',
      ...(cache ? { cachedData: cache } : { produceCachedData: true }),
    })) as ivm.Script & ivm.CachedDataResult;
    sesCodeCache ??= ses.cachedData;
    await ses.run(context, { timeout: REALM_TIMEOUT_MS });
    const bootstrap = await this.isolate.compileScript(BOOTSTRAP_SOURCE, { filename: 'bootstrap.js' });
    const open = await bootstrap.run(context, { reference: true, timeout: REALM_TIMEOUT_MS });
    ses.release();
    bootstrap.release();
    return { context, open: open as Realm['open'] };
  }
}
