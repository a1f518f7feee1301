import type { PluginDefinition, RequiredTable } from './plugin.types.js';

export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9-]{0,47}$/;
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const HOOKS = new Set(['onRequest', 'onAuthorize', 'beforeNodeExecute']);
const KEYS = new Set([
  'name',
  'version',
  'hooks',
  'priority',
  'requiredTables',
  'migrations',
  'configSchema',
  'mode',
  'budgets',
]);

export class PluginDefinitionError extends Error {
  constructor(plugin: string, problem: string) {
    super(`plugin "${plugin}": ${problem}`);
    this.name = 'PluginDefinitionError';
  }
}

/** Tables a plugin owns start with this: `plugin_<name with dashes as underscores>_`. */
export function pluginTablePrefix(name: string): string {
  return `plugin_${name.replace(/-/g, '_')}_`;
}

function tableProblems(tables: unknown): string[] {
  if (tables === undefined) return [];
  if (!Array.isArray(tables)) return ['requiredTables must be a list'];
  const out: string[] = [];
  for (const t of tables as RequiredTable[]) {
    if (!t || typeof t.name !== 'string' || !IDENT.test(t.name))
      out.push(`required table ${JSON.stringify(t?.name)} is not a valid table name`);
    else if (!Array.isArray(t.columns) || t.columns.length === 0)
      out.push(`required table "${t.name}" must list its columns`);
    else {
      for (const c of t.columns) {
        const name = typeof c === 'string' ? c : c?.name;
        if (typeof name !== 'string' || !IDENT.test(name))
          out.push(`required table "${t.name}" has an invalid column ${JSON.stringify(name)}`);
      }
    }
  }
  return out;
}

function budgetProblems(b: PluginDefinition['budgets']): string[] {
  if (b === undefined) return [];
  const ok = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 10_000);
  return ok(b?.requestMs) && ok(b?.nodeMs) ? [] : ['budgets must be whole milliseconds from 1 to 10000'];
}

/** Every problem of a definition (empty when it is valid); the host refuses to start on the first. */
export function checkPluginDefinition(def: PluginDefinition<never> | undefined): string[] {
  if (!def || typeof def !== 'object')
    return ['the module must export a plugin made with definePlugin() as its default export'];
  const out: string[] = [];
  for (const k of Object.keys(def)) if (!KEYS.has(k)) out.push(`unknown field "${k}"`);
  if (typeof def.name !== 'string' || !PLUGIN_NAME_PATTERN.test(def.name))
    out.push('name must be lower-case letters, digits and dashes');
  if (typeof def.version !== 'string' || !def.version) out.push('version is required');
  if (!def.hooks || typeof def.hooks !== 'object') out.push('hooks is required');
  else {
    for (const [k, v] of Object.entries(def.hooks)) {
      if (!HOOKS.has(k)) out.push(`unknown hook "${k}"`);
      else if (typeof v !== 'function') out.push(`hook "${k}" must be a function`);
    }
  }
  if (def.priority !== undefined && !Number.isInteger(def.priority)) out.push('priority must be a whole number');
  if (def.mode !== undefined && def.mode !== 'trusted' && def.mode !== 'sandboxed')
    out.push('mode must be "trusted" or "sandboxed"');
  if (def.configSchema !== undefined && (typeof def.configSchema !== 'object' || def.configSchema === null))
    out.push('configSchema must be a JSON Schema object');
  if (
    def.migrations !== undefined &&
    (!Array.isArray(def.migrations) || def.migrations.some((m) => typeof m !== 'function'))
  ) {
    out.push('migrations must be a list of migration classes');
  }
  if (def.mode === 'sandboxed' && def.migrations?.length)
    out.push('a sandboxed plugin cannot own tables (it has no database access)');
  return [...out, ...tableProblems(def.requiredTables), ...budgetProblems(def.budgets)];
}

/** Declares a plugin; throws on the first problem so that a bad definition fails where it is written. */
export function definePlugin<Config = Record<string, unknown>>(
  def: PluginDefinition<Config>,
): PluginDefinition<Config> {
  const problems = checkPluginDefinition(def as PluginDefinition<never>);
  if (problems.length) throw new PluginDefinitionError(typeof def?.name === 'string' ? def.name : '?', problems[0]);
  return Object.freeze({ ...def, hooks: Object.freeze({ ...def.hooks }) });
}
