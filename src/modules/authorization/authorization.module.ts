import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IdentityModule } from '../identity/index.js';
import { TenancyModule } from '../tenancy/index.js';
import { AbilityFactory } from './ability.factory.js';
import { AccessHooks } from './access-hooks.js';
import { AccessGuard } from './access.guard.js';
import { ApiKeysAdminService } from './api-keys-admin.service.js';
import { ApiKeysController } from './api-keys.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { Authenticator } from './authenticator.js';
import { AuthzCheckService } from './authz-check.service.js';
import { DenialRecorder } from './denials.js';
import { GrantsService } from './grants.service.js';
import { ProjectMembersAdminService } from './project-members-admin.service.js';
import { ProjectMembersController } from './project-members.controller.js';
import { RateLimitsService } from './rate-limits.service.js';
import { RolesAdminService } from './roles-admin.service.js';
import { RolesController } from './roles.controller.js';
import { ServiceDenials } from './service-denials.js';
import { UsersAdminService } from './users-admin.service.js';
import { UsersController } from './users.controller.js';

/** What principals may do: abilities, the global access guard, escalation rules, and the access-management API. */
@Module({
  imports: [IdentityModule, TenancyModule],
  controllers: [UsersController, ApiKeysController, RolesController, ProjectMembersController, AuthController],
  providers: [
    AbilityFactory,
    Authenticator,
    RateLimitsService,
    GrantsService,
    AuthzCheckService,
    AuthService,
    UsersAdminService,
    ApiKeysAdminService,
    RolesAdminService,
    ProjectMembersAdminService,
    DenialRecorder,
    AccessHooks,
    { provide: APP_GUARD, useClass: AccessGuard },
    ServiceDenials,
  ],
  exports: [AbilityFactory, RateLimitsService, GrantsService, AuthzCheckService, AccessHooks, ServiceDenials],
})
export class AuthorizationModule {}
