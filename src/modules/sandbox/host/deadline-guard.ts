import type { IsolateEntry, PreparedContext } from './isolate-entry.js';

export const EMPTY_CONSOLE = '[]';

// ivm's `timeout` stops busy code at the deadline and keeps the isolate alive long enough to read its
// console. The watchdog is for what `timeout` cannot see (a promise that never settles): it fires just after.
const WATCHDOG_GRACE_MS = 50;
// Generous for a loaded machine: it only delays an answer that is already a timeout.
const CONSOLE_READ_MS = 200;
// After disposal a pending call settles within milliseconds, unless the code is inside a builtin V8 cannot
// interrupt (`new Array(2 ** 30).fill(0)`): then the isolate's thread is lost for good.
const STUCK_AFTER_DISPOSE_MS = 200;

/** The wall-clock watchdog of one job: at the deadline it saves the console and disposes the isolate. */
export class DeadlineGuard {
  fired = false;
  /** Console lines saved when the watchdog fired. */
  console = EMPTY_CONSOLE;
  private readonly timer: NodeJS.Timeout;
  private stuckTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    entry: IsolateEntry,
    timeoutMs: number,
    current: () => PreparedContext | undefined,
    onStuck: (entry: IsolateEntry) => void,
  ) {
    this.timer = setTimeout(() => void this.fire(entry, current(), onStuck), timeoutMs + WATCHDOG_GRACE_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.stuckTimer);
  }

  private async fire(entry: IsolateEntry, prepared: PreparedContext | undefined, onStuck: (e: IsolateEntry) => void) {
    this.fired = true;
    this.console = await readConsole(entry, prepared);
    if (this.stopped) {
      return; // the job finished while the console was being read
    }
    entry.dispose();
    this.stuckTimer = setTimeout(() => onStuck(entry), STUCK_AFTER_DISPOSE_MS);
  }
}

/** Console lines written so far, if the isolate answers quickly; best effort. */
export async function readConsole(entry: IsolateEntry, prepared: PreparedContext | undefined): Promise<string> {
  if (!prepared || entry.isolate.isDisposed) {
    return EMPTY_CONSOLE;
  }
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), CONSOLE_READ_MS);
  });
  try {
    const options = { timeout: CONSOLE_READ_MS, result: { promise: true } } as const;
    const lines = await Promise.race([prepared.runner.apply(undefined, ['console'], options), giveUp]);
    return typeof lines === 'string' ? lines : EMPTY_CONSOLE;
  } catch {
    return EMPTY_CONSOLE;
  } finally {
    clearTimeout(timer);
  }
}
