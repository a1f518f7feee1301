import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { LOGGER } from '../../core/logging/logger.js';
import type { HookName, JsonObject, PluginDatabase, PluginDefinition } from '../../plugin-sdk/index.js';
import type { JsonValue } from '../sandbox/index.js';
import { PluginConfigsService } from './plugin-configs.service.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { PluginSandbox } from './plugin-sandbox.js';
import { PluginTables } from './plugin-tables.js';
import { LOADED_PLUGINS, PLUGIN_SANDBOX } from './plugins.tokens.js';

export const DEFAULT_BUDGETS = { requestMs: 50, nodeMs: 200 } as const;

/** One hook call's result: the plugin's answer, or why there is none (a throw or a blown budget). */
export type HookOutcome =
  { ok: true; value: unknown } | { ok: false; failure: 'plugin_error' | 'plugin_timeout'; message: string };

export interface ActivePlugin {
  def: PluginDefinition;
  settings: JsonObject;
}

class BudgetExceeded extends Error {}

/**
 * Runs plugin hooks for one org: only plugins enabled for that org whose required tables are present, in host
 * order (priority, then name), each call within its time budget. A trusted hook runs in this process with the
 * context as a copy; a sandboxed one in isolated-vm with JSON only. A failure is logged and audited
 * (`plugin.hook_failed`) and handed back as an outcome: what it means (deny, fail the node) is the caller's rule.
 */
@Injectable()
export class PluginHost implements OnModuleDestroy {
  constructor(
    @Inject(LOADED_PLUGINS) readonly plugins: readonly LoadedPlugin[],
    private readonly configs: PluginConfigsService,
    private readonly tables: PluginTables,
    @Inject(PLUGIN_SANDBOX) private readonly sandbox: PluginSandbox,
    private readonly db: Database,
    private readonly events: DomainEventBus,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Whether any loaded plugin has this hook (nothing to do, and nothing to read, otherwise). */
  has(hook: HookName): boolean {
    return this.plugins.some((p) => p.def.hooks[hook]);
  }

  /** The plugins with this hook that run for the org now. */
  async active(orgId: string, hook: HookName): Promise<ActivePlugin[]> {
    if (!this.has(hook)) return [];
    const configs = await this.configs.forOrg(orgId);
    const out: ActivePlugin[] = [];
    for (const { def } of this.plugins) {
      const config = configs.get(def.name);
      if (def.hooks[hook] && config?.enabled && !this.tables.blocked(def.name))
        out.push({ def, settings: config.settings });
    }
    return out;
  }

  async call(plugin: ActivePlugin, hook: HookName, orgId: string, ctx: JsonObject): Promise<HookOutcome> {
    const { def } = plugin;
    const budget =
      hook === 'beforeNodeExecute'
        ? (def.budgets?.nodeMs ?? DEFAULT_BUDGETS.nodeMs)
        : (def.budgets?.requestMs ?? DEFAULT_BUDGETS.requestMs);
    // The context is built fresh for every call and the settings are frozen: a hook cannot reach the host's state.
    const full = { ...ctx, org: { id: orgId }, config: plugin.settings };
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work =
        def.mode === 'sandboxed'
          ? this.sandbox.call(def, hook, orgId, full as JsonValue)
          : (def.hooks[hook] as (c: unknown, t: unknown) => unknown)(full, { db: this.dbFor(orgId) });
      // A trusted hook that answers synchronously cannot be interrupted: its budget is checked once it returns
      // (no timer on the hot path); an asynchronous answer races the budget.
      if (!(work instanceof Promise)) {
        if (performance.now() - started > budget) throw new BudgetExceeded();
        return { ok: true, value: work };
      }
      work.catch(() => undefined);
      const expired = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new BudgetExceeded()), budget)),
      );
      return { ok: true, value: await Promise.race([work, expired]) };
    } catch (e) {
      const timeout = e instanceof BudgetExceeded || (e as { sandboxType?: string }).sandboxType === 'timeout';
      const message = timeout
        ? `did not answer within ${budget} ms`
        : `failed: ${e instanceof Error ? e.message.slice(0, 200) : 'not an Error'}`;
      await this.recordFailure(def.name, hook, orgId, timeout ? 'plugin_timeout' : 'plugin_error');
      return {
        ok: false,
        failure: timeout ? 'plugin_timeout' : 'plugin_error',
        message: `Plugin "${def.name}" ${hook} ${message}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.sandbox.close();
  }

  /** Trusted plugins' SQL: the runtime role inside the org (row-level security applies), one transaction a call. */
  private dbFor(orgId: string): PluginDatabase {
    return {
      query: <T>(sql: string, params: unknown[] = []) =>
        this.db.withOrg(orgId, (em) => em.query(sql, params) as Promise<T[]>),
    };
  }

  private async recordFailure(plugin: string, hook: HookName, orgId: string, reason: string): Promise<void> {
    // Not the thrown text: a hook sees rendered parameters, which may hold resolved secrets, and could echo them.
    this.log.warn(
      { plugin, hook, orgId, reason },
      reason === 'plugin_timeout' ? 'plugin hook timed out' : 'plugin hook failed',
    );
    await this.db
      .withOrg(orgId, (em) =>
        this.events.publish(em, {
          action: 'plugin.hook_failed',
          orgId,
          resourceType: 'plugin',
          resourceId: plugin,
          outcome: 'failure',
          reason,
          metadata: { hook },
        }),
      )
      .catch((err: Error) => this.log.warn({ err: err.message }, 'could not record a plugin failure'));
  }
}
