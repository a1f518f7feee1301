import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/index.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { BootstrapService } from './bootstrap.service.js';
import { CredentialsService } from './credentials.service.js';
import { Invalidations } from './invalidations.js';
import { ProjectMembersService } from './members/project-members.service.js';
import { PlatformKeysService } from './platform-keys.service.js';
import { PlatformController } from './platform.controller.js';
import { PlatformService } from './platform.service.js';
import { RolesService } from './roles/roles.service.js';
import { SessionsService } from './sessions/sessions.service.js';
import { UsersService } from './users/users.service.js';

const services = [
  ApiKeysService,
  BootstrapService,
  CredentialsService,
  Invalidations,
  PlatformKeysService,
  PlatformService,
  ProjectMembersService,
  RolesService,
  SessionsService,
  UsersService,
];

/** Who is who: users, sessions, API keys, platform keys, custom roles and project role assignments (data and credentials). */
@Module({
  imports: [TenancyModule],
  controllers: [PlatformController],
  providers: services,
  exports: services,
})
export class IdentityModule {}
