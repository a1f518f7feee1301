import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunSlots } from '../run-slots.js';

/** A slot is a lease: renewed while its run goes on, so a process that dies frees its slots within LEASE_MS. */
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

/** Drops expired leases, then takes one if fewer than the limit are held (Redis time, so every process agrees). */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return 1`;

/** Per-org concurrency of runs across every worker process: one sorted set of leases per org in Redis. */
export class RedisRunSlots implements RunSlots {
  constructor(private readonly redis: Redis) {}

  async tryAcquire(orgId: string, limit: number): Promise<(() => void) | null> {
    const key = `tf:slots:${orgId}`;
    const member = randomUUID();
    const got = await this.redis.eval(ACQUIRE, 1, key, limit, LEASE_MS, member);
    if (got !== 1) return null;
    const timer = setInterval(() => {
      this.redis.eval(RENEW, 1, key, LEASE_MS, member).catch(() => undefined);
    }, RENEW_MS);
    timer.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      this.redis.zrem(key, member).catch(() => undefined);
    };
  }
}
