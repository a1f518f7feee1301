import type { HostConfig } from './protocol.js';
import { IsolateEntry } from './isolate-entry.js';

// A busy org calls again before its isolate has built the next context (~0.6-0.9 ms of V8 work on the
// isolate's own thread). With a second warm isolate, one builds while the other runs: sequential calls of
// a hot org no longer wait for context creation.
const HOT_ORG_ISOLATES = 2;

/**
 * Warm isolates of one host process, keyed by org. An isolate is created for one org and only ever
 * runs that org's jobs; the pool (API side) bounds how many jobs one org runs at once.
 */
export class IsolatePool {
  private readonly idle = new Map<string, IsolateEntry[]>();
  private readonly busy = new Set<IsolateEntry>();
  /** Orgs whose last call found no context ready: they get a spare isolate. */
  private readonly hot = new Set<string>();
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
    const readyAt = list ? list.findLastIndex((entry) => entry.ready) : -1;
    const warm = readyAt >= 0 ? list?.splice(readyAt, 1)[0] : list?.pop();
    if (warm && !warm.ready) {
      this.hot.add(orgId);
    }
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
      this.hot.delete(entry.orgId);
      entry.dispose();
      return;
    }
    list.push(entry);
    this.idle.set(entry.orgId, list);
    this.idleCount++;
    entry.prewarm(timeoutMs);
    this.addSpareIfHot(entry.orgId, list, timeoutMs);
    this.evictOverflow();
  }

  private addSpareIfHot(orgId: string, list: IsolateEntry[], timeoutMs: number): void {
    if (!this.hot.delete(orgId)) {
      return;
    }
    const busyForOrg = [...this.busy].filter((entry) => entry.orgId === orgId).length;
    if (list.length + busyForOrg < Math.min(HOT_ORG_ISOLATES, this.config.maxIsolatesPerOrg)) {
      const spare = new IsolateEntry(orgId, this.config.memoryLimitMb, this.onCatastrophe);
      spare.prewarm(timeoutMs);
      list.unshift(spare); // least recently used end: evicted first if idle isolates overflow
      this.idleCount++;
    }
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
