import type { HostConfig } from './protocol.js';
import { IsolateEntry, type PreparedContext } from './isolate-entry.js';

// A run session nobody closed (its API process lost track of it) is dropped after this long unused.
const SESSION_IDLE_MS = 15 * 60_000;
const SESSION_SWEEP_MS = 60_000;
// A spare's lockdown takes a core for ~150 ms: not right away, while the job that took the last one runs.
const SPARE_REFILL_DELAY_MS = 1000;

/**
 * The context of one run: created on the run's first call, reused by its later calls, released when the run
 * closes it. Keyed by org and id, so a session can only ever be found by jobs of its own org.
 */
export interface RunSession {
  key: string;
  entry: IsolateEntry;
  context?: Promise<PreparedContext>;
  /** Jobs of this session that hold or wait for its isolate. */
  pending: number;
  closed: boolean;
  lastUsed: number;
}

export interface Lease {
  entry: IsolateEntry;
  session?: RunSession;
}

/**
 * Warm isolates of one host process, keyed by org. An isolate is created for one org and only ever runs that
 * org's jobs, one at a time. It holds the contexts of that org's open run sessions; a job without a session gets
 * a context of its own. An isolate whose limit trips is disposed with every context in it.
 */
export class IsolatePool {
  private readonly byOrg = new Map<string, IsolateEntry[]>();
  private readonly sessions = new Map<string, RunSession>();
  private readonly busy = new Set<IsolateEntry>();
  /** One isolate locked down ahead of need: a new org, or an org whose isolate a limit disposed, skips lockdown. */
  private spare: IsolateEntry | undefined;
  private closed = false;
  // Plain fields, not parameter properties: host files must stay erasable TypeScript (Node type stripping).
  private readonly config: HostConfig;
  private readonly onCatastrophe: (entry: IsolateEntry, message: string) => void;

  constructor(config: HostConfig, onCatastrophe: (entry: IsolateEntry, message: string) => void) {
    this.config = config;
    this.onCatastrophe = onCatastrophe;
    setInterval(() => this.sweepSessions(), SESSION_SWEEP_MS).unref();
    this.refillSpare();
  }

  /** Waits until an isolate of the org (the session's own, if it has one) is free for this job. */
  async acquire(orgId: string, sessionId: number | undefined): Promise<Lease> {
    const key = sessionId === undefined ? undefined : `${orgId}\u0000${sessionId}`;
    for (;;) {
      let session = key === undefined ? undefined : this.sessions.get(key);
      if (session && !session.entry.alive) {
        this.sessions.delete(session.key);
        session = undefined;
      }
      const entry = session?.entry ?? this.pick(orgId);
      if (key !== undefined && !session) {
        session = { key, entry, pending: 0, closed: false, lastUsed: Date.now() };
        this.sessions.set(key, session);
        entry.sessions++;
      }
      if (session) {
        session.pending++;
      }
      await entry.lock();
      if (entry.alive) {
        this.busy.add(entry);
        return { entry, session };
      }
      // Disposed while this job waited (another job tripped a limit): start over on a live isolate.
      if (session) {
        session.pending--;
      }
      entry.unlock();
    }
  }

  /** Frees the isolate; anything in doubt is disposed with every context in it. */
  release(lease: Lease, healthy: boolean, timeoutMs: number): void {
    const { entry, session } = lease;
    entry.currentJobId = undefined;
    this.busy.delete(entry);
    if (session) {
      session.pending--;
      session.lastUsed = Date.now();
      if (session.closed && session.pending === 0) {
        this.dropSession(session);
      }
    }
    if (!healthy || (!entry.reusable && entry.sessions === 0)) {
      this.retire(entry);
    }
    entry.unlock();
    if (entry.alive && entry.load === 0) {
      entry.prewarm(timeoutMs);
    }
    this.evictOverflow();
  }

  /** The run ended: its context is released once its last job is done. */
  closeSession(orgId: string, sessionId: number): void {
    const session = this.sessions.get(`${orgId}\u0000${sessionId}`);
    if (!session) {
      return;
    }
    session.closed = true;
    if (session.pending === 0) {
      this.dropSession(session);
      this.evictOverflow();
    }
  }

  /** Jobs running right now, for blame when the process has to die. */
  busyJobIds(): number[] {
    return [...this.busy].flatMap((entry) => (entry.currentJobId === undefined ? [] : [entry.currentJobId]));
  }

  disposeAll(): void {
    this.closed = true;
    this.spare?.dispose();
    this.spare = undefined;
    for (const list of this.byOrg.values()) {
      list.forEach((entry) => entry.dispose());
    }
    this.byOrg.clear();
    this.sessions.clear();
    this.busy.clear();
  }

  /** A free isolate (a pre-warmed one first), else a new one up to the org's cap, else the least loaded. */
  private pick(orgId: string): IsolateEntry {
    const list = this.byOrg.get(orgId) ?? [];
    let best: IsolateEntry | undefined;
    for (const entry of list) {
      if (!entry.alive || !entry.reusable) {
        continue;
      }
      if (!best || score(entry) < score(best)) {
        best = entry;
      }
    }
    if (best && (best.load === 0 || list.length >= this.config.maxIsolatesPerOrg)) {
      best.lastUsed = Date.now();
      return best;
    }
    const entry = this.newEntry(orgId);
    list.push(entry);
    this.byOrg.set(orgId, list);
    return entry;
  }

  /** The spare if it is alive, else a new isolate; a new spare is then locked down in the background. */
  private newEntry(orgId: string): IsolateEntry {
    const spare = this.spare;
    this.spare = undefined;
    const entry = spare?.alive
      ? spare.adopt(orgId)
      : new IsolateEntry(orgId, this.config.memoryLimitMb, this.onCatastrophe);
    setTimeout(() => this.refillSpare(), SPARE_REFILL_DELAY_MS).unref();
    return entry;
  }

  private refillSpare(): void {
    if (!this.spare?.alive && !this.closed) {
      this.spare = new IsolateEntry(undefined, this.config.memoryLimitMb, this.onCatastrophe);
    }
  }

  private dropSession(session: RunSession): void {
    if (this.sessions.get(session.key) !== session) {
      return;
    }
    this.sessions.delete(session.key);
    session.entry.sessions--;
    session.context?.then(releaseContext, () => undefined);
    if (!session.entry.reusable && session.entry.sessions === 0 && session.entry.load === 0) {
      this.retire(session.entry);
    }
  }

  /** Disposes an isolate; the sessions that lived in it start over in a fresh context on their next job. */
  private retire(entry: IsolateEntry): void {
    entry.dispose();
    const list = (this.byOrg.get(entry.orgId) ?? []).filter((other) => other !== entry);
    if (list.length === 0) {
      this.byOrg.delete(entry.orgId);
    } else {
      this.byOrg.set(entry.orgId, list);
    }
    for (const session of this.sessions.values()) {
      if (session.entry === entry) {
        this.sessions.delete(session.key);
      }
    }
    entry.sessions = 0;
  }

  private evictOverflow(): void {
    const idle = [...this.byOrg.values()].flat().filter((entry) => entry.load === 0 && entry.sessions === 0);
    idle.sort((a, b) => a.lastUsed - b.lastUsed);
    for (let i = 0; i < idle.length - this.config.maxIdleIsolates; i++) {
      this.retire(idle[i]);
    }
  }

  private sweepSessions(): void {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const session of [...this.sessions.values()]) {
      if (session.pending === 0 && session.lastUsed < cutoff) {
        this.dropSession(session);
      }
    }
    this.evictOverflow();
  }
}

/** Lower is better: free before busy, pre-warmed before cold, fewer open runs before more. */
function score(entry: IsolateEntry): number {
  return entry.load * 1000 + (entry.ready ? 0 : 100) + entry.sessions;
}

function releaseContext(prepared: PreparedContext): void {
  try {
    prepared.runner.release();
  } catch {
    // The isolate is already disposed; nothing left to release.
  }
}
