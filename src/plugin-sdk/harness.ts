import type { HookName, PluginDefinition, PluginDatabase, PluginHooks } from './plugin.types.js';

type HookContext<H extends HookName> = Parameters<NonNullable<PluginHooks[H]>>[0];
type HookResult<H extends HookName> = Awaited<ReturnType<NonNullable<PluginHooks[H]>>>;

export interface HookCall<H extends HookName> {
  /** The context without `org`/`config`, which default to a test org and `{}`. */
  ctx: Omit<HookContext<H>, 'org' | 'config'> & Partial<Pick<HookContext<H>, 'org' | 'config'>>;
  /** For trusted plugins that use `tools.db`; the default refuses every query. */
  db?: PluginDatabase;
}

const NO_DB: PluginDatabase = {
  query: async () => {
    throw new Error('no database in this test: pass { db } to callHook');
  },
};

/**
 * Calls one hook of a plugin the way the host does (JSON-cloned context, `undefined` read as continue/abstain),
 * so a plugin's own tests can assert its decisions without a server:
 * `expect(await callHook(plugin, 'onAuthorize', { ctx })).toEqual({ decision: 'deny', reason: 'closed' })`.
 */
export async function callHook<H extends HookName>(plugin: PluginDefinition, hook: H, call: HookCall<H>): Promise<HookResult<H>> {
  const fn = plugin.hooks[hook] as ((ctx: unknown, tools: unknown) => unknown) | undefined;
  if (!fn) throw new Error(`plugin "${plugin.name}" has no ${hook} hook`);
  const ctx = structuredClone({ org: { id: '00000000-0000-7000-8000-000000000001' }, config: {}, ...call.ctx });
  return (await fn(ctx, { db: call.db ?? NO_DB })) as HookResult<H>;
}
