import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/index.js';
import { ConnectionTesterService } from './connection-tester.service.js';
import { ConnectionsController } from './connections.controller.js';
import { ConnectionsRuntime } from './connections-runtime.js';
import { ConnectionsService } from './connections.service.js';
import { OAuth2Tokens } from './oauth2/oauth2-tokens.js';

@Module({
  imports: [TenancyModule],
  controllers: [ConnectionsController],
  providers: [ConnectionsService, ConnectionsRuntime, ConnectionTesterService, OAuth2Tokens],
  exports: [ConnectionsRuntime, ConnectionsService],
})
export class ConnectionsModule {}
