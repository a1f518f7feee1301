import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { CommonException } from '../errors/app.exception.js';
import type { Metrics } from '../metrics/metrics.js';

export interface LimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** Counts one limiter's 429 answers. */
export interface RefusalCounter {
  inc(): void;
}

/**
 * `tenantflow_rate_limit_refusals_total{limiter}`: the series of one limiter, shown at 0 from the start. `limiter` is
 * a fixed name (api, authfail, ssofail, webhook), never a key or an id.
 */
export function refusalCounter(metrics: Metrics, limiter: string): RefusalCounter {
  const series = metrics
    .counter('tenantflow_rate_limit_refusals_total', 'Requests refused with 429 by a rate limiter.', ['limiter'])
    .labels(limiter);
  series.inc(0);
  return series;
}

/**
 * A fixed-window limiter, in memory for one instance or in Redis when instances share limits. With Redis, a store
 * that cannot answer refuses the request at once with 503 `rate_limit_unavailable` (fail closed, never unlimited):
 * a connection that is not ready is refused without a round trip, and a command that does not answer is cut off by
 * the client's command timeout (see RedisHolder).
 */
export class Limiter {
  private readonly impl: RateLimiterAbstract;

  constructor(
    readonly name: string,
    readonly points: number,
    durationSeconds: number,
    redis?: Redis,
    private readonly refusals?: RefusalCounter,
  ) {
    this.impl = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `tf:rl:${name}`,
          points,
          duration: durationSeconds,
          useRedisPackage: false,
          rejectIfRedisNotReady: true,
          // Once a key is over its budget, this process refuses it from memory until the window ends: a flood is
          // refused without a Redis round trip per request (the budget itself stays shared in Redis).
          inMemoryBlockOnConsumed: points + 1,
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

  /** Takes one point; throws 429 (with headers) when none are left, 503 when the store cannot answer. */
  async consume(key: string): Promise<LimitState> {
    try {
      return this.state(await this.impl.consume(key, 1));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw unavailable();
      this.refusals?.inc();
      throw tooMany(this.state(e));
    }
  }

  /** Throws 429 if the key has no points left, without taking one (503 when the store cannot answer). */
  async assertNotBlocked(key: string): Promise<void> {
    let res: RateLimiterRes | null;
    try {
      res = await this.impl.get(key);
    } catch {
      throw unavailable();
    }
    if (res && res.remainingPoints <= 0) {
      this.refusals?.inc();
      throw tooMany(this.state(res));
    }
  }

  /** Best effort: a store that cannot count the penalty refuses the next `assertNotBlocked` anyway. */
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

function unavailable(): CommonException {
  return new CommonException('rate_limit_unavailable', 'The rate limit store is unavailable; retry later', {
    headers: { 'Retry-After': '1' },
  });
}
