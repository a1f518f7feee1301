/**
 * Per-org concurrency limit (FIFO). Each running call holds one isolate, so this is also the cap on
 * isolates one org can hold, and one org cannot occupy every isolate of a host.
 */
export class OrgSlots {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Resolves with a release function once the org is under its limit. */
  async acquire(orgId: string): Promise<() => void> {
    if ((this.running.get(orgId) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(orgId) ?? [];
        queue.push(resolve);
        this.waiting.set(orgId, queue);
      });
    } else {
      this.running.set(orgId, (this.running.get(orgId) ?? 0) + 1);
    }
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.release(orgId);
      }
    };
  }

  private release(orgId: string): void {
    const queue = this.waiting.get(orgId);
    const next = queue?.shift();
    if (queue && queue.length === 0) {
      this.waiting.delete(orgId);
    }
    if (next) {
      next(); // the slot passes straight to the next waiter; the running count is unchanged
      return;
    }
    const count = (this.running.get(orgId) ?? 1) - 1;
    if (count === 0) {
      this.running.delete(orgId);
    } else {
      this.running.set(orgId, count);
    }
  }
}
