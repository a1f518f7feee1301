import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { Limiter, refusalCounter } from '../../core/http/rate-limit.js';
import { Metrics } from '../../core/metrics/metrics.js';
import { RedisHolder } from '../../core/redis/redis.js';

/**
 * The product's shared limits, in Redis when configured (one budget across all instances): `api` per credential
 * (API key, the user of a browser session, embedded user, platform key), `publicRoutes` per client address for routes
 * reachable without a credential, `authFailures` per client address for refused credentials.
 */
@Injectable()
export class RateLimitsService {
  readonly api: Limiter;
  readonly publicRoutes: Limiter;
  readonly authFailures: Limiter;

  constructor(config: AppConfig, redis: RedisHolder, metrics: Metrics) {
    const limit = (name: string, points: number) =>
      new Limiter(name, points, 60, redis.client, refusalCounter(metrics, name));
    this.api = limit('api', config.get('TENANTFLOW_API_RATE_LIMIT'));
    this.publicRoutes = limit('public', config.get('TENANTFLOW_PUBLIC_RATE_LIMIT'));
    this.authFailures = limit('authfail', config.get('TENANTFLOW_AUTH_FAILURE_LIMIT'));
  }
}
