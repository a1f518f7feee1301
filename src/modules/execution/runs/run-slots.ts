/**
 * Per-org concurrency of runs. In process for one instance; a Redis implementation (a counter with a TTL per
 * slot) can fill the same interface when instances share limits.
 */
export interface RunSlots {
  /** Takes a slot for the org; returns its release function, or null when the org is at its limit. */
  tryAcquire(orgId: string, limit: number): Promise<(() => void) | null>;
}

/** DI token of the process's RunSlots (in process by default). */
export const RUN_SLOTS = Symbol('RUN_SLOTS');

export class InProcessRunSlots implements RunSlots {
  private readonly inUse = new Map<string, number>();

  async tryAcquire(orgId: string, limit: number): Promise<(() => void) | null> {
    const n = this.inUse.get(orgId) ?? 0;
    if (n >= limit) return null;
    this.inUse.set(orgId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(orgId) ?? 1) - 1;
      if (left <= 0) this.inUse.delete(orgId);
      else this.inUse.set(orgId, left);
    };
  }

  active(orgId: string): number {
    return this.inUse.get(orgId) ?? 0;
  }
}
