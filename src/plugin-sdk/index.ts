/**
 * The Tenantflow plugin SDK (`tenantflow/plugin-sdk`): `definePlugin`, the hook contracts and a small test harness.
 * It depends on nothing of the server, so a plugin package needs only this import. See docs/plugins.md.
 */
export {
  definePlugin,
  checkPluginDefinition,
  PluginDefinitionError,
  pluginTablePrefix,
  PLUGIN_NAME_PATTERN,
} from './define-plugin.js';
export { callHook, type HookCall } from './harness.js';
/** For a plugin's own migration of an org-owned table: `org_id` isolation under forced row-level security, as core tables. */
export { protectOrgTable } from '../core/database/rls.js';
export type * from './plugin.types.js';
