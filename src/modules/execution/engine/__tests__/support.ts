import type { FlowDefinition, NodeDefinition, EdgeDefinition } from '../../definition/flow-definition.js';
import { DEFAULT_RUN_LIMITS, type EngineRun, type RunLimits, type TriggerPayload } from '../run-types.js';

let seq = 0;

/** A linear flow trigger → n1 → n2 … unless edges are given. */
export function flow(nodes: NodeDefinition[], edges?: EdgeDefinition[]): FlowDefinition {
  const linear: EdgeDefinition[] = nodes.map((n, i) => ({ from: i === 0 ? 'trigger' : nodes[i - 1].id, to: n.id }));
  return { schemaVersion: 1, trigger: { type: 'manual' }, nodes, edges: edges ?? linear };
}

export function engineRun(
  definition: FlowDefinition,
  over: Partial<Omit<EngineRun, 'limits'>> & { limits?: Partial<RunLimits> } = {},
): EngineRun {
  const trigger: TriggerPayload = over.trigger ?? {
    type: 'webhook',
    body: { a: 2, b: 3 },
    headers: {},
    query: {},
    method: 'POST',
  };
  return {
    runId: `run-${++seq}`,
    orgId: '00000000-0000-7000-8000-000000000001',
    flowId: 'flow-1',
    version: 1,
    ...over,
    definition,
    trigger,
    limits: {
      ...DEFAULT_RUN_LIMITS,
      ...over.limits,
      sandbox: { timeoutMs: 1000, memoryMb: 32, ...over.limits?.sandbox },
    },
  };
}
