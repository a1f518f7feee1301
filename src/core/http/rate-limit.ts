import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { CommonException } from '../errors/app.exception.js';

export interface LimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** A fixed-window limiter, in memory for one instance or in Redis when instances share limits. */
export class Limiter {
  private readonly impl: RateLimiterAbstract;

  constructor(
    readonly name: string,
    readonly points: number,
    durationSeconds: number,
    redis?: Redis,
  ) {
    this.impl = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `tf:rl:${name}`,
          points,
          duration: durationSeconds,
          useRedisPackage: false,
        })
      : new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds });
  }

  private state(res: RateLimiterRes): LimitState {
    return {
      limit: this.points,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.ceil(res.msBeforeNext / 1000),
    };
  }

  /** Takes one point; throws 429 (with headers) when none are left. */
  async consume(key: string): Promise<LimitState> {
    try {
      return this.state(await this.impl.consume(key, 1));
    } catch (e) {
      if (e instanceof RateLimiterRes) throw tooMany(this.state(e));
      throw e;
    }
  }

  /** Throws 429 if the key has no points left, without taking one. */
  async assertNotBlocked(key: string): Promise<void> {
    const res = await this.impl.get(key);
    if (res && res.remainingPoints <= 0) throw tooMany(this.state(res));
  }

  async penalize(key: string): Promise<void> {
    await this.impl.penalty(key, 1).catch(() => undefined);
  }
}

export const rateLimitHeaders = (s: LimitState): Record<string, string> => ({
  'RateLimit-Limit': String(s.limit),
  'RateLimit-Remaining': String(s.remaining),
  'RateLimit-Reset': String(s.resetSeconds),
});

function tooMany(s: LimitState): CommonException {
  return new CommonException('rate_limited', 'Too many requests; retry later', {
    headers: { ...rateLimitHeaders(s), 'Retry-After': String(Math.max(1, s.resetSeconds)) },
  });
}
