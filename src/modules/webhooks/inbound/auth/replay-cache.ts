import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Remembers signatures seen inside the tolerance window, so a captured request cannot be replayed. `firstSeen`
 * answers true once per key and window; an implementation that cannot answer must return false (fail closed).
 */
export interface ReplayCache {
  firstSeen(key: string, ttlMs: number): Promise<boolean>;
}

const digest = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 32);

/** One instance: an in-memory map with expiry. Full even after pruning means refuse (fail closed). */
export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 500_000) {}

  async firstSeen(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const k = digest(key);
    const until = this.seen.get(k);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.maxEntries) this.prune(now);
    if (this.seen.size >= this.maxEntries) return false;
    this.seen.set(k, now + ttlMs);
    return true;
  }

  private prune(now: number): void {
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
  }
}

/** Several instances: `SET NX PX` in the shared Redis; a Redis error refuses the request. */
export class RedisReplayCache implements ReplayCache {
  constructor(private readonly redis: Redis) {}

  async firstSeen(key: string, ttlMs: number): Promise<boolean> {
    try {
      return (
        (await this.redis.set(`tf:replay:${digest(key)}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK'
      );
    } catch {
      return false;
    }
  }
}
