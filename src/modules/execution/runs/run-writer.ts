import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Database } from '../../../core/database/database.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { runStore, type NewRun, type RunEnd } from './run-store.js';

type Item = { run: NewRun; end: RunEnd };

/**
 * Writes finished synchronous runs off the response path: buffered for a few milliseconds, then one transaction per
 * org with two statements for the whole batch. Reads of a buffered run flush first (read-your-writes).
 * Shared by the launcher (writes) and the run history (flushes before reading).
 */
@Injectable()
export class RunWriter {
  private buffer: Item[] = [];
  private readonly pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  private readonly intervalMs = 15;
  private readonly maxBatch = 1000;

  constructor(
    private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  enqueue(run: NewRun, end: RunEnd): void {
    this.buffer.push({ run, end });
    this.pending.add(run.id);
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  has(runId: string): boolean {
    return this.pending.has(runId);
  }

  /** Writes everything buffered so far (waits for a flush in progress first). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: Item[]): Promise<void> {
    if (!batch.length) return;
    const byOrg = new Map<string, Item[]>();
    for (const item of batch) {
      const items = byOrg.get(item.run.orgId);
      if (items) items.push(item);
      else byOrg.set(item.run.orgId, [item]);
    }
    for (const [orgId, items] of byOrg) {
      try {
        await this.db.withOrg(orgId, (em) => runStore.insertFinished(em, items));
      } catch (e) {
        // One bad row must not lose the batch: retry row by row, then give up on the rows that still fail.
        this.log.warn(
          { err: (e as Error).message, runs: items.length },
          'batched run write failed; retrying one by one',
        );
        for (const item of items) {
          await this.db
            .withOrg(orgId, (em) => runStore.insertFinished(em, [item]))
            .catch((err: Error) =>
              this.log.error({ err: err.message, runId: item.run.id }, 'could not record a finished run'),
            );
        }
      }
      for (const item of items) this.pending.delete(item.run.id);
    }
  }
}
