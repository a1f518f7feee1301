import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/index.js';
import { ApiKeysService } from './api-keys.service.js';
import { BootstrapService } from './bootstrap.service.js';
import { CredentialsService } from './credentials.service.js';
import { PlatformKeysService } from './platform-keys.service.js';
import { PlatformController } from './platform.controller.js';
import { PlatformService } from './platform.service.js';

@Module({
  imports: [TenancyModule],
  controllers: [PlatformController],
  providers: [ApiKeysService, BootstrapService, CredentialsService, PlatformKeysService, PlatformService],
  exports: [ApiKeysService, BootstrapService, CredentialsService, PlatformKeysService, PlatformService],
})
export class IdentityModule {}
