import type { Logger } from 'pino';

export interface PeriodicJobOptions {
  /** What the log calls the job when a pass fails (e.g. `run retention`). */
  name: string;
  /** Delay before the first pass (ms). */
  firstMs: number;
  /** Delay between passes (ms). */
  intervalMs: number;
}

/**
 * A background pass that runs after a delay and then at an interval, never twice at once (a pass still running
 * makes the next tick a no-op), with a failed pass logged and the next one tried as usual. Timers are unref'd: a
 * job never keeps the process alive. `stop` waits for a pass in progress.
 */
export class PeriodicJob {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<unknown>;

  constructor(
    private readonly options: PeriodicJobOptions,
    private readonly pass: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timers.push(
      setTimeout(() => this.tick(), this.options.firstMs).unref(),
      setInterval(() => this.tick(), this.options.intervalMs).unref(),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.pass()
      .catch((err: Error) => this.log.error({ err: err.message }, `${this.options.name} failed`))
      .finally(() => (this.running = undefined));
  }
}
