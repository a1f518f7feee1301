import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../core/config/app-config.js';
import { BACKGROUND_WORK } from '../../core/core.module.js';
import { Database } from '../../core/database/database.js';
import { Readiness } from '../../core/health/readiness.js';
import { LOGGER } from '../../core/logging/logger.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { LOADED_PLUGINS } from './plugins.tokens.js';

interface CatalogueColumn {
  table_name: string;
  column_name: string;
  data_type: string;
}

/**
 * Every problem with the plugins' required tables, as one line each naming plugin, table and column, checked
 * against the catalogue as the runtime role (so a table it cannot use counts as missing).
 */
export async function verifyPluginTables(
  db: Database,
  plugins: readonly LoadedPlugin[],
): Promise<Map<string, string[]>> {
  const names = [...new Set(plugins.flatMap((p) => (p.def.requiredTables ?? []).map((t) => t.name)))];
  const problems = new Map<string, string[]>();
  if (!names.length) return problems;
  const rows = (await db.app.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY($1)`,
    [names],
  )) as CatalogueColumn[];
  const columns = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
  const tables = new Set(rows.map((r) => r.table_name));
  for (const { def } of plugins) {
    const found: string[] = [];
    for (const t of def.requiredTables ?? []) {
      if (!tables.has(t.name)) {
        found.push(`plugin "${def.name}": table "${t.name}" is missing`);
        continue;
      }
      for (const c of t.columns) {
        const { name, type } = typeof c === 'string' ? { name: c, type: undefined } : c;
        const actual = columns.get(`${t.name}.${name}`);
        if (actual === undefined) found.push(`plugin "${def.name}": column "${t.name}.${name}" is missing`);
        else if (type && actual !== type)
          found.push(`plugin "${def.name}": column "${t.name}.${name}" is ${actual}, expected ${type}`);
      }
    }
    if (found.length) problems.set(def.name, found);
  }
  return problems;
}

/**
 * Startup table verification: before the server reports ready, and again every `TENANTFLOW_PLUGINS_VERIFY_INTERVAL`,
 * so that restoring a table makes the server ready without a restart. A plugin with a problem keeps
 * `/health/ready` at 503 (the body names it) and its hooks stay off.
 */
@Injectable()
export class PluginTables implements OnModuleInit, OnApplicationShutdown {
  private problems = new Map<string, string[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(LOADED_PLUGINS) private readonly plugins: readonly LoadedPlugin[],
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly readiness: Readiness,
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  blocked(plugin: string): boolean {
    return this.problems.has(plugin);
  }

  problemsOf(plugin: string): string[] {
    return this.problems.get(plugin) ?? [];
  }

  async onModuleInit(): Promise<void> {
    if (!this.plugins.some((p) => p.def.requiredTables?.length)) return;
    await this.refresh();
    this.readiness.register('plugins', async () => [...this.problems.values()].flat());
    if (this.background) {
      this.timer = setInterval(() => void this.refresh(), this.config.get('TENANTFLOW_PLUGINS_VERIFY_INTERVAL'));
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const next = await verifyPluginTables(this.db, this.plugins);
      for (const [plugin, lines] of next)
        if (!this.problems.has(plugin))
          this.log.error({ plugin, problems: lines }, 'plugin tables missing; its hooks are off');
      this.problems = next;
    } catch (e) {
      // Fail closed: a catalogue that cannot be read leaves every table-declaring plugin off and the server not ready.
      const message = e instanceof Error ? e.message : 'catalogue unreadable';
      this.problems = new Map(
        this.plugins
          .filter((p) => p.def.requiredTables?.length)
          .map((p) => [p.def.name, [`plugin "${p.def.name}": tables could not be verified (${message})`]]),
      );
    }
  }
}
