import { Module } from '@nestjs/common';
import { SecretResolverService, SecretsModule } from '../secrets/index.js';
import { TenancyModule } from '../tenancy/index.js';
import { ConnectionTesterService } from './connection-tester.service.js';
import { ConnectionsController } from './connections.controller.js';
import { ConnectionsRuntime } from './connections-runtime.js';
import { ConnectionsService } from './connections.service.js';
import { OAuth2FlowService } from './oauth2/oauth2-flow.service.js';
import { OAuth2Tokens } from './oauth2/oauth2-tokens.js';
import { OAuth2CallbackController, OAuth2Controller } from './oauth2/oauth2.controller.js';
import {
  CONNECTION_SECRET_RESOLVER,
  SecretUnavailableError,
  type ConnectionSecretResolver,
} from './secret-resolver.port.js';

@Module({
  imports: [TenancyModule, SecretsModule],
  controllers: [OAuth2CallbackController, OAuth2Controller, ConnectionsController],
  providers: [
    ConnectionsService,
    ConnectionsRuntime,
    ConnectionTesterService,
    OAuth2Tokens,
    OAuth2FlowService,
    // Outside runs (the test call, OAuth2 routes) references resolve through the org's secret providers; a failure
    // names provider and path only.
    {
      provide: CONNECTION_SECRET_RESOLVER,
      inject: [SecretResolverService],
      useFactory: (secrets: SecretResolverService): ConnectionSecretResolver => ({
        resolve: (orgId, ref) =>
          secrets.resolve(orgId, ref).catch((e: unknown) => {
            throw new SecretUnavailableError(e instanceof Error ? e.message : 'secret_unavailable');
          }),
      }),
    },
  ],
  exports: [ConnectionsRuntime, ConnectionsService],
})
export class ConnectionsModule {}
