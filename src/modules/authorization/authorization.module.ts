import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IdentityModule } from '../identity/index.js';
import { AbilityFactory } from './ability.factory.js';
import { AccessGuard } from './access.guard.js';
import { RateLimitsService } from './rate-limits.service.js';

@Module({
  imports: [IdentityModule],
  providers: [AbilityFactory, RateLimitsService, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [AbilityFactory, RateLimitsService],
})
export class AuthorizationModule {}
