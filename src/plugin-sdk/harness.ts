import type { HookName, JsonObject, PluginDefinition, PluginDatabase, PluginHooks } from './plugin.types.js';

type HookContext<C, H extends HookName> = Parameters<NonNullable<PluginHooks<C>[H]>>[0];
type HookResult<C, H extends HookName> = Awaited<ReturnType<NonNullable<PluginHooks<C>[H]>>>;

export interface HookCall<C, H extends HookName> {
  /** The context; `org` defaults to a test org and `config` to `{}`. */
  ctx: Omit<HookContext<C, H>, 'org' | 'config'> & Partial<Pick<HookContext<C, H>, 'org' | 'config'>>;
  /** For trusted plugins that use `tools.db`; the default refuses every query. */
  db?: PluginDatabase;
}

const NO_DB: PluginDatabase = {
  query: async () => {
    throw new Error('no database in this test: pass { db } to callHook');
  },
};

/**
 * Calls one hook of a plugin the way the host does (a JSON copy of the context), so a plugin's own tests can assert
 * its decisions without a server:
 * `expect(await callHook(plugin, 'onAuthorize', { ctx })).toEqual({ decision: 'deny', reason: 'closed' })`.
 */
export async function callHook<C = JsonObject, H extends HookName = HookName>(
  plugin: PluginDefinition<C>,
  hook: H,
  call: HookCall<C, H>,
): Promise<HookResult<C, H>> {
  const fn = plugin.hooks[hook] as ((ctx: unknown, tools: unknown) => unknown) | undefined;
  if (!fn) throw new Error(`plugin "${plugin.name}" has no ${hook} hook`);
  const ctx = structuredClone({ org: { id: '00000000-0000-7000-8000-000000000001' }, config: {}, ...call.ctx });
  return (await fn(ctx, { db: call.db ?? NO_DB })) as HookResult<C, H>;
}
