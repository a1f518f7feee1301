import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { AuthorizationModule } from '../authorization/index.js';
import { PluginAccess } from './plugin-access.js';
import { PluginConfigsService } from './plugin-configs.service.js';
import { PluginHost } from './plugin-host.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { PluginSandbox } from './plugin-sandbox.js';
import { PluginTables } from './plugin-tables.js';
import { PluginsController } from './plugins.controller.js';
import { PluginsService } from './plugins.service.js';
import { LOADED_PLUGINS, PLUGIN_SANDBOX } from './plugins.tokens.js';

/**
 * The plugin host: the plugins loaded at startup (`loadPlugins`), their per-org configuration, table verification
 * and hook dispatch. Global, so that execution (beforeNodeExecute) reaches the host without an import cycle.
 */
@Global()
@Module({})
export class PluginsModule {
  static register(plugins: readonly LoadedPlugin[]): DynamicModule {
    return {
      module: PluginsModule,
      imports: [AuthorizationModule],
      controllers: [PluginsController],
      providers: [
        { provide: LOADED_PLUGINS, useValue: plugins },
        {
          provide: PLUGIN_SANDBOX,
          inject: [AppConfig],
          useFactory: (c: AppConfig) =>
            new PluginSandbox({
              memoryLimitMb: c.get('TENANTFLOW_SANDBOX_MEMORY_MB'),
              // The sandbox's own clock is a backstop; each call's budget is enforced by the host.
              timeoutMs: Math.max(
                50,
                ...plugins.map((p) => Math.max(p.def.budgets?.requestMs ?? 50, p.def.budgets?.nodeMs ?? 200)),
              ),
            }),
        },
        PluginConfigsService,
        PluginTables,
        PluginHost,
        PluginAccess,
        PluginsService,
      ],
      exports: [PluginHost],
    };
  }
}
