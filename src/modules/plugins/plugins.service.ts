import { Inject, Injectable } from '@nestjs/common';
import type { HookName } from '../../plugin-sdk/index.js';
import type { PluginConfigDto, PluginListDto } from './dto/plugin.dto.js';
import { PluginConfigsService } from './plugin-configs.service.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { PluginTables } from './plugin-tables.js';
import { LOADED_PLUGINS } from './plugins.tokens.js';

const HOOK_NAMES: HookName[] = ['onRequest', 'onAuthorize', 'beforeNodeExecute'];

/** The plugin API: what is loaded, its state, and this org's enablement and settings. */
@Injectable()
export class PluginsService {
  constructor(
    @Inject(LOADED_PLUGINS) private readonly plugins: readonly LoadedPlugin[],
    private readonly configs: PluginConfigsService,
    private readonly tables: PluginTables,
  ) {}

  async list(orgId: string): Promise<PluginListDto> {
    const configs = await this.configs.forOrg(orgId);
    const items = this.plugins.map(({ def }) => {
      const problems = this.tables.problemsOf(def.name);
      return {
        name: def.name,
        version: def.version,
        mode: def.mode ?? 'trusted',
        priority: def.priority ?? 100,
        hooks: HOOK_NAMES.filter((h) => def.hooks[h]),
        requiredTables: (def.requiredTables ?? []).map((t) => ({
          name: t.name,
          columns: t.columns.map((c) => (typeof c === 'string' ? c : c.name)),
        })),
        status: problems.length ? 'missing_tables' : 'ready',
        problems,
        enabled: configs.get(def.name)?.enabled ?? false,
        settings: configs.get(def.name)?.settings ?? {},
      };
    });
    return { items, nextCursor: null };
  }

  async configure(orgId: string, name: string, dto: PluginConfigDto): Promise<PluginConfigDto> {
    return this.configs.set(orgId, name, { enabled: dto.enabled, settings: dto.settings ?? {} });
  }
}
