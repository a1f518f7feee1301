import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/index.js';
import { ConnectionTesterService } from './connection-tester.service.js';
import { ConnectionsController } from './connections.controller.js';
import { ConnectionsRuntime } from './connections-runtime.js';
import { ConnectionsService } from './connections.service.js';
import { OAuth2FlowService } from './oauth2/oauth2-flow.service.js';
import { OAuth2Tokens } from './oauth2/oauth2-tokens.js';
import { OAuth2CallbackController, OAuth2Controller } from './oauth2/oauth2.controller.js';

@Module({
  imports: [TenancyModule],
  controllers: [OAuth2CallbackController, OAuth2Controller, ConnectionsController],
  providers: [ConnectionsService, ConnectionsRuntime, ConnectionTesterService, OAuth2Tokens, OAuth2FlowService],
  exports: [ConnectionsRuntime, ConnectionsService],
})
export class ConnectionsModule {}
