import { Inject, Injectable } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import type { JsonObject } from '../../plugin-sdk/index.js';
import { LOADED_PLUGINS } from './plugins.tokens.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { PluginsException } from './plugins.exception.js';

export interface PluginOrgConfig {
  enabled: boolean;
  settings: JsonObject;
}

const CACHE_MS = 2000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
const EMPTY_SCHEMA = { type: 'object', additionalProperties: false, maxProperties: 0 };

/**
 * Per-org enablement and settings of the loaded plugins. A plugin is off for an org until the org's admin turns it
 * on. Reads are cached per org for two seconds (hooks run on hot paths); a change here clears this instance's
 * entry at once, other instances within the cache time.
 */
@Injectable()
export class PluginConfigsService {
  private readonly cache = new Map<string, { at: number; configs: Promise<Map<string, PluginOrgConfig>> }>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    @Inject(LOADED_PLUGINS) private readonly plugins: readonly LoadedPlugin[],
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {
    const ajv = new Ajv({ strict: false, allErrors: false });
    for (const { def } of plugins) this.validators.set(def.name, ajv.compile(def.configSchema ?? EMPTY_SCHEMA));
  }

  /** The org's configs by plugin name (only rows of loaded plugins). */
  async forOrg(orgId: string): Promise<Map<string, PluginOrgConfig>> {
    const hit = this.cache.get(orgId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.configs;
    const configs = this.read(orgId);
    this.cache.set(orgId, { at: Date.now(), configs });
    configs.catch(() => this.cache.delete(orgId));
    return configs;
  }

  async set(orgId: string, name: string, next: PluginOrgConfig): Promise<PluginOrgConfig> {
    const validate = this.validators.get(name);
    if (!validate) throw new PluginsException('plugin_not_found', 'No such plugin is loaded');
    if (!validate(next.settings)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => ({ path: `settings${e.instancePath.replace(/\//g, '.')}`, message: e.message ?? 'is invalid' }));
      throw new PluginsException('plugin_config_invalid', "The settings do not match the plugin's schema", { errors });
    }
    await this.db.withOrg(orgId, async (em) => {
      const before = (await em.query(
        `SELECT enabled, settings FROM plugin_config WHERE org_id = $1 AND plugin_name = $2 FOR UPDATE`,
        [orgId, name],
      )) as PluginOrgConfig[];
      await em.query(
        `INSERT INTO plugin_config (org_id, plugin_name, enabled, settings, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (org_id, plugin_name) DO UPDATE SET enabled = EXCLUDED.enabled, settings = EXCLUDED.settings, updated_at = now()`,
        [orgId, name, next.enabled, JSON.stringify(next.settings)],
      );
      await this.events.publish(em, {
        action: 'plugin.configured',
        orgId,
        resourceType: 'plugin',
        resourceId: name,
        outcome: 'success',
        metadata: { before: before[0] ?? null, after: next },
      });
    });
    this.cache.delete(orgId);
    return next;
  }

  private async read(orgId: string): Promise<Map<string, PluginOrgConfig>> {
    const rows = await this.db.readOrg<{ plugin_name: string; enabled: boolean; settings: JsonObject }>(
      orgId,
      `SELECT plugin_name, enabled, settings FROM plugin_config WHERE org_id = $1`,
      [orgId],
    );
    const loaded = new Set(this.plugins.map((p) => p.def.name));
    return new Map(
      rows
        .filter((r) => loaded.has(r.plugin_name))
        // Frozen: the same settings object is handed to every hook call until the cache entry expires.
        .map((r) => [r.plugin_name, { enabled: r.enabled, settings: deepFreeze(r.settings) }]),
    );
  }
}
