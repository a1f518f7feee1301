import { checkValue, type NodeTypeRegistry, type SchemaIssue } from '../flows/index.js';
import type { PluginHost } from '../plugins/index.js';
import type {
  BeforeNodeExecuteDecision,
  BeforeNodeExecuteEvent,
  BeforeNodeExecuteHook,
} from './engine/execution-hooks.js';
import { StepFailure } from './engine/run-errors.js';

type NodeResult = { action?: unknown; params?: unknown; output?: unknown } | undefined | null;

/** Replaced parameters must still fit the node type's schema (as at publish): a plugin cannot smuggle in others. */
function checkReplaced(
  registry: NodeTypeRegistry,
  type: string,
  params: unknown,
  plugin: string,
): Record<string, unknown> {
  const spec = registry.getNodeType(type);
  const issues: SchemaIssue[] = [];
  if (!params || typeof params !== 'object' || Array.isArray(params))
    issues.push({ path: 'params', message: 'must be an object' } as SchemaIssue);
  else if (spec) checkValue(spec.params, params, 'params', 'publish', issues, { formats: registry.formats() });
  if (issues.length) {
    const first = issues[0] as { path?: string; message?: string };
    throw new StepFailure(
      'plugin_error',
      `Plugin "${plugin}" replaced the parameters with invalid ones (${first.path ?? 'params'} ${first.message ?? 'is invalid'})`,
    );
  }
  return params as Record<string, unknown>;
}

/**
 * The plugins' `beforeNodeExecute` as one engine hook: each plugin enabled for the org, in host order, may go on,
 * replace the parameters (checked again against the node type's schema) or skip the node with an output. A throw,
 * a blown budget or an answer outside the contract fails the node (`plugin_error` / `plugin_timeout`).
 */
export function pluginNodeHook(host: PluginHost, registry: NodeTypeRegistry): BeforeNodeExecuteHook {
  return async (ev: BeforeNodeExecuteEvent): Promise<BeforeNodeExecuteDecision> => {
    let params = ev.params;
    for (const plugin of await host.active(ev.orgId, 'beforeNodeExecute')) {
      const ctx = {
        run: { id: ev.runId, flowId: ev.flowId, version: ev.version },
        // A copy: a hook never holds the engine's own parameter objects.
        node: { id: ev.nodeId, type: ev.nodeType, attempt: ev.attempt, params: structuredClone(params) },
      };
      const outcome = await host.call(plugin, 'beforeNodeExecute', ev.orgId, ctx);
      if (!outcome.ok) throw new StepFailure(outcome.failure, outcome.message);
      const v = outcome.value as NodeResult;
      if (v === undefined || v === null || v.action === 'continue') continue;
      if (v.action === 'skip') return { skip: { output: structuredClone(v.output ?? null) } };
      if (v.action !== 'replaceParams')
        throw new StepFailure(
          'plugin_error',
          `Plugin "${plugin.def.name}" answered outside the beforeNodeExecute contract`,
        );
      params = checkReplaced(registry, ev.nodeType, structuredClone(v.params), plugin.def.name);
    }
    return params === ev.params ? {} : { params };
  };
}
