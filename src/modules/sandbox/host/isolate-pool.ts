import type { HostConfig } from './protocol.js';
import { IsolateEntry } from './isolate-entry.js';

/**
 * Warm isolates of one host process, keyed by org. An isolate is created for one org and only ever
 * runs that org's jobs; the pool (API side) bounds how many jobs one org runs at once.
 */
export class IsolatePool {
  private readonly idle = new Map<string, IsolateEntry[]>();
  private readonly busy = new Set<IsolateEntry>();
  private idleCount = 0;
  // Plain fields, not parameter properties: host files must stay erasable TypeScript (Node type stripping).
  private readonly config: HostConfig;
  private readonly onCatastrophe: (entry: IsolateEntry, message: string) => void;

  constructor(config: HostConfig, onCatastrophe: (entry: IsolateEntry, message: string) => void) {
    this.config = config;
    this.onCatastrophe = onCatastrophe;
  }

  acquire(orgId: string): IsolateEntry {
    const list = this.idle.get(orgId);
    const warm = list?.pop();
    if (list && list.length === 0) {
      this.idle.delete(orgId);
    }
    if (warm) {
      this.idleCount--;
    }
    const entry = warm ?? new IsolateEntry(orgId, this.config.memoryLimitMb, this.onCatastrophe);
    this.busy.add(entry);
    return entry;
  }

  /** Returns a healthy isolate to the org's idle list; anything in doubt is disposed instead. */
  release(entry: IsolateEntry, healthy: boolean, timeoutMs: number): void {
    this.busy.delete(entry);
    entry.currentJobId = undefined;
    const list = this.idle.get(entry.orgId) ?? [];
    if (!healthy || !entry.reusable || list.length >= this.config.maxIsolatesPerOrg) {
      entry.dispose();
      return;
    }
    list.push(entry);
    this.idle.set(entry.orgId, list);
    this.idleCount++;
    entry.prewarm(timeoutMs);
    this.evictOverflow();
  }

  /** Jobs running right now, for blame when the process has to die. */
  busyJobIds(): number[] {
    return [...this.busy].flatMap((entry) => (entry.currentJobId === undefined ? [] : [entry.currentJobId]));
  }

  disposeAll(): void {
    for (const entry of this.busy) {
      entry.dispose();
    }
    for (const list of this.idle.values()) {
      list.forEach((entry) => entry.dispose());
    }
    this.idle.clear();
    this.busy.clear();
    this.idleCount = 0;
  }

  private evictOverflow(): void {
    while (this.idleCount > this.config.maxIdleIsolates) {
      let oldest: IsolateEntry | undefined;
      for (const list of this.idle.values()) {
        // Lists are pushed in release order, so index 0 is each org's least recently used isolate.
        if (list[0] && (!oldest || list[0].lastUsed < oldest.lastUsed)) {
          oldest = list[0];
        }
      }
      if (!oldest) {
        return;
      }
      const list = this.idle.get(oldest.orgId) ?? [];
      list.shift();
      if (list.length === 0) {
        this.idle.delete(oldest.orgId);
      }
      this.idleCount--;
      oldest.dispose();
    }
  }
}
