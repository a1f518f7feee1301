import type { RespondOutput } from '../engine/nodes/node-executor.js';
import type { RunOutcome } from '../engine/run-types.js';
import type { AwaitedRun } from './run-launcher.port.js';

/** How long an awaited run's answer is kept when nobody collects it (the caller went away). */
const UNCLAIMED_MS = 60_000;

interface Entry {
  response?: RespondOutput;
  outcome?: RunOutcome;
  claimed: boolean;
  wake?: () => void;
  expiry?: NodeJS.Timeout;
}

/**
 * The answers of awaited runs, keyed by run id: fed by the launcher as `respond` and `finished` events arrive (a
 * direct call in process; from RUN_EVENTS_CHANNEL for runs executing elsewhere) and taken by `awaitOutcome`.
 * An entry exists from launch, so an answer that comes before the caller starts waiting is not lost.
 */
export class RunWaiters {
  private readonly runs = new Map<string, Entry>();

  expect(runId: string): void {
    this.runs.set(runId, { claimed: false });
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  responded(runId: string, response: RespondOutput): void {
    const e = this.runs.get(runId);
    if (!e || e.response) return;
    e.response = response;
    e.wake?.();
  }

  finished(runId: string, outcome: RunOutcome): void {
    const e = this.runs.get(runId);
    if (!e) return;
    e.outcome = outcome;
    if (e.wake) return e.wake();
    if (e.claimed) this.runs.delete(runId);
    else (e.expiry = setTimeout(() => this.runs.delete(runId), UNCLAIMED_MS)).unref();
  }

  /** Null when the run was not launched as awaited here. */
  wait(runId: string, opts: { timeoutMs: number; untilRespond?: boolean }): Promise<AwaitedRun> | null {
    const e = this.runs.get(runId);
    if (!e) return null;
    e.claimed = true;
    const settled = (): AwaitedRun | undefined => {
      if (e.outcome) {
        clearTimeout(e.expiry);
        this.runs.delete(runId);
        return { kind: 'finished', outcome: e.outcome };
      }
      return opts.untilRespond && e.response ? { kind: 'responded', response: e.response } : undefined;
    };
    const now = settled();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        e.wake = undefined;
        resolve({ kind: 'timeout' });
      }, opts.timeoutMs);
      e.wake = () => {
        const s = settled();
        if (!s) return;
        clearTimeout(timer);
        e.wake = undefined;
        resolve(s);
      };
    });
  }
}
