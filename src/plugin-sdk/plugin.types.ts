/** The contracts between the plugin host and a plugin. Everything a hook receives and returns is plain JSON data. */

export type PluginMode = 'trusted' | 'sandboxed';
export type JsonObject = { [key: string]: unknown };

/** The org a hook runs for, and the plugin's settings for that org (`PUT /api/v1/plugins/:name/config`). */
export interface HookBase<Config = JsonObject> {
  org: { id: string };
  config: Config;
}

export interface HookPrincipal {
  type: 'user' | 'api_key' | 'embed';
  id: string;
}

/** `onRequest`: an API request whose credential was recognised, before rate limits, authorization and the handler. */
export interface RequestHookContext<Config = JsonObject> extends HookBase<Config> {
  principal: HookPrincipal;
  request: { method: string; path: string; ip: string; headers: Record<string, string>; query: JsonObject };
}

export type RequestHookResult =
  | undefined
  | { action: 'continue'; setHeaders?: Record<string, string> }
  | { action: 'answer'; status: number; headers?: Record<string, string>; body?: unknown };

/** `onAuthorize`: asked only after the built-in authorization allowed the request. */
export interface AuthorizeHookContext<Config = JsonObject> extends HookBase<Config> {
  principal: HookPrincipal;
  action: string;
  subject: string;
  request: { method: string; path: string; params: Record<string, string> };
}

export type AuthorizeHookResult =
  undefined | { decision: 'allow' } | { decision: 'abstain' } | { decision: 'deny'; reason: string };

/** `beforeNodeExecute`: once per node attempt, with the node's rendered parameters. */
export interface NodeHookContext<Config = JsonObject> extends HookBase<Config> {
  run: { id: string; flowId: string; version: number | 'draft' };
  node: { id: string; type: string; attempt: number; params: JsonObject };
}

export type NodeHookResult =
  | undefined
  | { action: 'continue' }
  | { action: 'replaceParams'; params: JsonObject }
  | { action: 'skip'; output: unknown };

/** Only trusted plugins get it: SQL as the runtime role inside the current org (row-level security applies). */
export interface PluginDatabase {
  query<T = JsonObject>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** What trusted hooks get as their second argument. Sandboxed hooks get none: they see JSON only. */
export interface TrustedHookTools {
  db: PluginDatabase;
}

type Hook<Ctx, Result> = (ctx: Ctx, tools: TrustedHookTools) => Result | Promise<Result>;

export interface PluginHooks<Config = JsonObject> {
  onRequest?: Hook<RequestHookContext<Config>, RequestHookResult | void>;
  onAuthorize?: Hook<AuthorizeHookContext<Config>, AuthorizeHookResult | void>;
  beforeNodeExecute?: Hook<NodeHookContext<Config>, NodeHookResult | void>;
}

export type HookName = keyof PluginHooks;

export interface RequiredColumn {
  name: string;
  /** A PostgreSQL type as `information_schema.columns.data_type` names it (e.g. `uuid`, `text`, `bigint`). */
  type?: string;
}

export interface RequiredTable {
  name: string;
  columns: (string | RequiredColumn)[];
}

/** A TypeORM migration class (`up`/`down`), as in the top-level migrations/ folder. */
export type PluginMigration = new () => { up(q: unknown): Promise<unknown>; down(q: unknown): Promise<unknown> };

export interface PluginDefinition<Config = JsonObject> {
  /** Lower-case letters, digits and dashes; the name in `TENANTFLOW_PLUGINS` and in the API. */
  name: string;
  version: string;
  hooks: PluginHooks<Config>;
  /** Lower runs first (default 100); ties by name. */
  priority?: number;
  requiredTables?: RequiredTable[];
  /** Migrations for the tables the plugin owns, named `plugin_<name>_…` (dashes as underscores). */
  migrations?: PluginMigration[];
  /** JSON Schema of the per-org settings. Without one, only `{}` is accepted. */
  configSchema?: JsonObject;
  /** `sandboxed` runs each hook in isolated-vm (JSON in and out, no process, require, network or database). */
  mode?: PluginMode;
  /** Time budgets per hook call in ms (defaults: request hooks 50, node hooks 200). */
  budgets?: { requestMs?: number; nodeMs?: number };
}
