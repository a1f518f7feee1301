import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { Limiter, refusalCounter } from '../../core/http/rate-limit.js';
import { Metrics } from '../../core/metrics/metrics.js';
import { RedisHolder } from '../../core/redis/redis.js';

/** The product's shared limits (per credential and per client address), in Redis when configured. */
@Injectable()
export class RateLimitsService {
  readonly api: Limiter;
  readonly authFailures: Limiter;

  constructor(config: AppConfig, redis: RedisHolder, metrics: Metrics) {
    const limit = (name: string, points: number) =>
      new Limiter(name, points, 60, redis.client, refusalCounter(metrics, name));
    this.api = limit('api', config.get('TENANTFLOW_API_RATE_LIMIT'));
    this.authFailures = limit('authfail', config.get('TENANTFLOW_AUTH_FAILURE_LIMIT'));
  }
}
