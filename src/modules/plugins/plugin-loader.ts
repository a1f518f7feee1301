import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPluginDefinition, PluginDefinitionError, type PluginDefinition } from '../../plugin-sdk/index.js';

/** A plugin as loaded at startup: its definition and the `TENANTFLOW_PLUGINS` entry it came from. */
export interface LoadedPlugin {
  entry: string;
  def: PluginDefinition;
}

/** The project root: `dist/` when running the build, the checkout when running sources (tests). */
const ROOT = new URL('../../../', import.meta.url);

/**
 * Where an entry of `TENANTFLOW_PLUGINS` lives: a folder name under `plugins/` (built or source), a path (starts
 * with `.` or `/`, relative to the working directory), or otherwise an npm package name.
 */
function locate(entry: string): string {
  if (entry.startsWith('.') || isAbsolute(entry)) {
    const base = resolve(entry);
    for (const f of [base, `${base}/index.js`, `${base}/index.ts`])
      if (/\.[cm]?[jt]s$/.test(f) && existsSync(f)) return pathToFileURL(f).href;
    throw new Error('no index.js or index.ts at that path');
  }
  for (const f of ['index.js', 'index.ts']) {
    const url = new URL(`plugins/${entry}/${f}`, ROOT);
    if (existsSync(url)) return url.href;
  }
  return entry;
}

async function loadOne(entry: string): Promise<LoadedPlugin> {
  let mod: { default?: PluginDefinition };
  try {
    mod = (await import(locate(entry))) as { default?: PluginDefinition };
  } catch (e) {
    throw new PluginDefinitionError(
      entry,
      `could not be loaded: ${e instanceof Error ? e.message.split('\n')[0] : 'unknown error'}`,
    );
  }
  const problems = checkPluginDefinition(mod.default as PluginDefinition<never>);
  if (problems.length) throw new PluginDefinitionError(mod.default?.name ?? entry, problems[0]);
  return { entry, def: mod.default! };
}

/** Names from the setting: comma-separated, blanks ignored. */
export function pluginEntries(setting: string | undefined): string[] {
  return (setting ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Loads every enabled plugin, in host order (priority, then name). The first plugin that fails to load or declares
 * something invalid stops the start with one line naming it (`plugin "x": ...`).
 */
export async function loadPlugins(entries: string[]): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const entry of entries) {
    const p = await loadOne(entry);
    if (loaded.some((l) => l.def.name === p.def.name)) throw new PluginDefinitionError(p.def.name, 'is enabled twice');
    loaded.push(p);
  }
  return loaded.sort(
    (a, b) => (a.def.priority ?? 100) - (b.def.priority ?? 100) || a.def.name.localeCompare(b.def.name),
  );
}

/** The migrations of every loaded plugin, for the one migration run at startup. */
export function pluginMigrations(plugins: readonly LoadedPlugin[]): NonNullable<PluginDefinition['migrations']> {
  return plugins.flatMap((p) => p.def.migrations ?? []);
}
