import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type CoreDeps } from './core/core.module.js';
import { AuditModule } from './modules/audit/index.js';
import { AuthorizationModule } from './modules/authorization/index.js';
import { ConnectionsModule } from './modules/connections/index.js';
import { EmbedModule } from './modules/embed/index.js';
import { ExecutionModule } from './modules/execution/index.js';
import { FlowsModule } from './modules/flows/index.js';
import { HealthModule } from './modules/health/index.js';
import { IdentityModule } from './modules/identity/index.js';
import { PluginsModule, type LoadedPlugin } from './modules/plugins/index.js';
import { SecretsModule } from './modules/secrets/index.js';
import { SsoModule } from './modules/identity/sso/index.js';
import { TenancyModule } from './modules/tenancy/index.js';
import { WebhooksModule } from './modules/webhooks/index.js';

/** Imports feature modules only. */
@Module({})
export class AppModule {
  static register(deps: CoreDeps, plugins: readonly LoadedPlugin[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(deps),
        HealthModule,
        TenancyModule,
        IdentityModule,
        AuthorizationModule,
        PluginsModule.register(plugins),
        SsoModule,
        SecretsModule,
        ConnectionsModule,
        FlowsModule,
        ExecutionModule,
        WebhooksModule,
        EmbedModule,
        AuditModule,
      ],
    };
  }
}
