import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../core/config/app-config.js';
import { AppException } from '../../../core/errors/app.exception.js';
import { Limiter } from '../../../core/http/rate-limit.js';
import { RedisHolder } from '../../../core/redis/redis.js';
import { ExecutionException } from '../execution.exception.js';
import type { OrgRuntimeInfo } from './org-runtime.js';

/**
 * Runs per minute per org, counted across every process when Redis is shared. The limit is the org's
 * `limits.maxRunsPerMinute` (platform operator) or TENANTFLOW_RUN_MAX_PER_MINUTE; 0 means none. A minute's budget
 * may not arrive at once: at most a twelfth of it (at least one run) is admitted in any 5 seconds, so an org's
 * burst is spread out instead of landing on the queue, the database and the workers together.
 */
@Injectable()
export class RunAdmission {
  private readonly limiters = new Map<number, [Limiter, Limiter]>();

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisHolder,
  ) {}

  async admit(orgId: string, org: OrgRuntimeInfo): Promise<void> {
    const perMinute = org.limits.maxRunsPerMinute ?? this.config.get('TENANTFLOW_RUN_MAX_PER_MINUTE');
    if (!perMinute) return;
    let limiters = this.limiters.get(perMinute);
    if (!limiters) {
      const burst = Math.max(1, Math.ceil(perMinute / 12));
      limiters = [
        new Limiter(`runs-per-5s:${burst}`, burst, 5, this.redis.client),
        new Limiter(`runs-per-minute:${perMinute}`, perMinute, 60, this.redis.client),
      ];
      this.limiters.set(perMinute, limiters);
    }
    try {
      for (const limiter of limiters) await limiter.consume(orgId);
    } catch (e) {
      if (e instanceof AppException && e.status === 429)
        throw new ExecutionException(
          'run_limit_reached',
          'This organization started too many runs this minute; retry later',
          { headers: e.extra.headers },
        );
      throw e;
    }
  }
}
