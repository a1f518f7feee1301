/** DI token of the plugins loaded at startup (`LoadedPlugin[]`, in host order). */
export const LOADED_PLUGINS = Symbol('LOADED_PLUGINS');

/** DI token of the sandbox that runs sandboxed plugins' hooks (`PluginSandbox`). */
export const PLUGIN_SANDBOX = Symbol('PLUGIN_SANDBOX');
