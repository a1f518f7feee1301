import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { AppException } from '../../../core/errors/app.exception.js';
import { Limiter, rateLimitHeaders, type RefusalCounter } from '../../../core/http/rate-limit.js';
import { sendProblem } from './webhook-http.js';

export class RateLimited extends Error {}

export interface WebhookLimit {
  requests: number;
  perSeconds: number;
}

/**
 * Per-flow webhook limits: the trigger's `rateLimit`, else `defaultLimit` (TENANTFLOW_WEBHOOK_RATE_LIMIT a minute).
 * Counted in the shared Redis when there is one (every instance draws on one budget per flow), else in process.
 * The answer carries `RateLimit-*` headers; a spent budget answers 429 with `Retry-After`, a store that cannot
 * answer 503 `rate_limit_unavailable` (never unlimited).
 */
export class WebhookRateLimits {
  private readonly limiters = new Map<string, Limiter>();

  constructor(
    private readonly defaultLimit: WebhookLimit,
    private readonly redis?: Redis,
    /** One series for every flow (`limiter="webhook"`), never a series per flow id. */
    private readonly refusals?: RefusalCounter,
  ) {}

  async consume(res: ServerResponse, flowId: string, own: WebhookLimit | undefined): Promise<void> {
    const limit = own ?? this.defaultLimit;
    // The limit is part of the name: a changed `rateLimit` starts a fresh window rather than reusing the old count.
    const name = `hook:${limit.requests}/${limit.perSeconds}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      if (this.limiters.size > 1000) this.limiters.clear();
      limiter = new Limiter(name, limit.requests, limit.perSeconds, this.redis, this.refusals);
      this.limiters.set(name, limiter);
    }
    try {
      const state = await limiter.consume(flowId);
      for (const [header, value] of Object.entries(rateLimitHeaders(state))) res.setHeader(header, value);
    } catch (e) {
      if (!(e instanceof AppException)) throw e;
      const detail = e.status === 429 ? 'Too many requests for this webhook; retry later' : e.message;
      sendProblem(res, e.status, e.code, detail, {}, e.extra.headers ?? {});
      throw new RateLimited();
    }
  }
}
