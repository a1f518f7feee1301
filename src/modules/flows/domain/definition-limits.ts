import { FlowsException } from '../flows.exception.js';

export interface DefinitionLimits {
  maxBytes: number;
  maxNodes: number;
}

/** Refuses a definition over the size (413) or node-count (422) limit, before any other work on it. */
export function assertWithinLimits(definition: unknown, limits: DefinitionLimits): void {
  const bytes = Buffer.byteLength(JSON.stringify(definition) ?? '', 'utf8');
  if (bytes > limits.maxBytes) {
    throw new FlowsException('definition_too_large', `The definition is ${bytes} bytes; the limit is ${limits.maxBytes} bytes`, {
      errors: [{ path: '$', message: `is ${bytes} bytes; at most ${limits.maxBytes} are allowed` }],
    });
  }
  const nodes = (definition as { nodes?: unknown }).nodes;
  if (Array.isArray(nodes) && nodes.length > limits.maxNodes) {
    throw new FlowsException('definition_too_many_nodes', `The definition has ${nodes.length} nodes; the limit is ${limits.maxNodes}`, {
      errors: [{ path: '$.nodes', message: `has ${nodes.length} nodes; at most ${limits.maxNodes} are allowed` }],
    });
  }
}
