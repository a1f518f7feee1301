import { FlowsException } from '../flows.exception.js';

export interface DefinitionLimits {
  maxBytes: number;
  maxNodes: number;
}

/** Deepest nesting of arrays and objects a definition may have (recursive code further on relies on it). */
export const MAX_DEFINITION_DEPTH = 64;

/** Nesting depth, measured without recursion so a hostile document cannot exhaust the stack here. */
export function nestingDepth(value: unknown, stopAt = MAX_DEFINITION_DEPTH + 1): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max >= stopAt) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** Refuses a definition over the depth (400), size (413) or node-count (422) limit, before any other work on it. */
export function assertWithinLimits(definition: unknown, limits: DefinitionLimits): void {
  if (nestingDepth(definition) > MAX_DEFINITION_DEPTH) {
    throw new FlowsException('definition_invalid', `The definition nests deeper than ${MAX_DEFINITION_DEPTH} levels`, {
      errors: [{ path: '$', message: `nests deeper than ${MAX_DEFINITION_DEPTH} levels` }],
    });
  }
  const bytes = Buffer.byteLength(JSON.stringify(definition) ?? '', 'utf8');
  if (bytes > limits.maxBytes) {
    throw new FlowsException(
      'definition_too_large',
      `The definition is ${bytes} bytes; the limit is ${limits.maxBytes} bytes`,
      {
        errors: [{ path: '$', message: `is ${bytes} bytes; at most ${limits.maxBytes} are allowed` }],
      },
    );
  }
  const nodes = (definition as { nodes?: unknown }).nodes;
  if (Array.isArray(nodes) && nodes.length > limits.maxNodes) {
    throw new FlowsException(
      'definition_too_many_nodes',
      `The definition has ${nodes.length} nodes; the limit is ${limits.maxNodes}`,
      {
        errors: [{ path: '$.nodes', message: `has ${nodes.length} nodes; at most ${limits.maxNodes} are allowed` }],
      },
    );
  }
}
