/** Public API of the plugin host: the Nest module, the loader (used at startup and by the CLI) and the hook host. */
export { PluginsModule } from './plugins.module.js';
export { loadPlugins, pluginEntries, pluginMigrations, type LoadedPlugin } from './plugin-loader.js';
export { PluginHost, type ActivePlugin, type HookOutcome } from './plugin-host.js';
export { verifyPluginTables } from './plugin-tables.js';
