import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { Limiter } from '../../core/http/rate-limit.js';
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

  constructor(config: AppConfig, redis: RedisHolder) {
    this.api = new Limiter('api', config.get('TENANTFLOW_API_RATE_LIMIT'), 60, redis.client);
    this.publicRoutes = new Limiter('public', config.get('TENANTFLOW_PUBLIC_RATE_LIMIT'), 60, redis.client);
    this.authFailures = new Limiter('authfail', config.get('TENANTFLOW_AUTH_FAILURE_LIMIT'), 60, redis.client);
  }
}
