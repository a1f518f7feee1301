import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { Limiter } from '../../core/http/rate-limit.js';
import { RedisHolder } from '../../core/redis/redis.js';

/** The product's shared limits (per credential and per client address), in Redis when configured. */
@Injectable()
export class RateLimitsService {
  readonly api: Limiter;
  readonly authFailures: Limiter;

  constructor(config: AppConfig, redis: RedisHolder) {
    this.api = new Limiter('api', config.get('TENANTFLOW_API_RATE_LIMIT'), 60, redis.client);
    this.authFailures = new Limiter('authfail', config.get('TENANTFLOW_AUTH_FAILURE_LIMIT'), 60, redis.client);
  }
}
