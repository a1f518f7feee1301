import type { ServerResponse } from 'node:http';
import { AppException } from '../../../core/errors/app.exception.js';
import { Limiter, type RefusalCounter } from '../../../core/http/rate-limit.js';
import { sendProblem } from './webhook-http.js';

export class RateLimited extends Error {}

/** Per-flow webhook limits (`settings.rateLimit`), in process. Flows without one are unlimited. */
export class WebhookRateLimits {
  private readonly limiters = new Map<string, { spec: string; limiter: Limiter }>();

  /** `refusals`: one series for every flow (`limiter="webhook"`), never a series per flow id. */
  constructor(private readonly refusals?: RefusalCounter) {}

  async consume(
    res: ServerResponse,
    flowId: string,
    limit: { requests: number; perSeconds: number } | undefined,
  ): Promise<void> {
    if (!limit) return;
    const spec = `${limit.requests}/${limit.perSeconds}`;
    let entry = this.limiters.get(flowId);
    if (!entry || entry.spec !== spec) {
      entry = {
        spec,
        limiter: new Limiter(`hook:${flowId}`, limit.requests, limit.perSeconds, undefined, this.refusals),
      };
      if (this.limiters.size > 10_000) this.limiters.clear();
      this.limiters.set(flowId, entry);
    }
    try {
      await entry.limiter.consume(flowId);
    } catch (e) {
      if (!(e instanceof AppException)) throw e;
      sendProblem(
        res,
        429,
        'rate_limited',
        'Too many requests for this webhook; retry later',
        {},
        e.extra.headers ?? {},
      );
      throw new RateLimited();
    }
  }
}
