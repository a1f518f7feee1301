import { TRIGGER_NODE_ID, type DefinitionIssue, type FlowDefinition } from './definition.types.js';
import type { NodeTypeRegistry } from './node-type.registry.js';

/**
 * Publish-time graph rules: edge handles match their source's outputs, no duplicate or self edges, every node is
 * reachable from the trigger, and every cycle passes through a node whose type closes cycles (the loop node).
 * The definition has passed the draft-level checks (ids unique, edges reference existing nodes).
 */
export function checkGraph(def: FlowDefinition, registry: NodeTypeRegistry): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  if (def.nodes.length === 0) issues.push({ path: '$.nodes', message: 'a published flow needs at least one node' });
  issues.push(...checkEdges(def, registry));
  issues.push(...checkReachable(def));
  issues.push(...checkCycles(def, registry));
  return issues;
}

function checkEdges(def: FlowDefinition, registry: NodeTypeRegistry): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const byId = new Map(def.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  def.edges.forEach((e, i) => {
    const path = `$.edges[${i}]`;
    const key = `${e.from}\u0000${e.to}\u0000${e.handle ?? ''}`;
    if (seen.has(key)) issues.push({ path, message: 'duplicates an earlier edge' });
    seen.add(key);
    if (e.from === e.to) issues.push({ path, message: `connects node "${e.from}" to itself` });
    if (e.from === TRIGGER_NODE_ID) {
      if (e.handle !== undefined) issues.push({ path: `${path}.handle`, message: 'the trigger has no output handles' });
      return;
    }
    const source = byId.get(e.from);
    if (!source) return;
    const handles = registry.outputHandles(source.type, source.params ?? {});
    if (handles === null) {
      if (e.handle !== undefined)
        issues.push({ path: `${path}.handle`, message: `a ${source.type} node has no output handles` });
    } else if (e.handle === undefined) {
      issues.push({
        path: `${path}.handle`,
        message: `an edge from a ${source.type} node needs a handle (${handles.join(', ') || 'none defined'})`,
      });
    } else if (!handles.includes(e.handle)) {
      issues.push({
        path: `${path}.handle`,
        message: `"${e.handle}" is not an output of node "${e.from}" (${handles.join(', ') || 'none defined'})`,
      });
    }
  });
  return issues;
}

function adjacency(def: FlowDefinition, keep: (to: string) => boolean = () => true): Map<string, string[]> {
  const adj = new Map<string, string[]>([
    [TRIGGER_NODE_ID, []],
    ...def.nodes.map((n) => [n.id, []] as [string, string[]]),
  ]);
  for (const e of def.edges) if (keep(e.to)) adj.get(e.from)?.push(e.to);
  return adj;
}

function checkReachable(def: FlowDefinition): DefinitionIssue[] {
  const adj = adjacency(def);
  const reached = new Set<string>([TRIGGER_NODE_ID]);
  const queue = [TRIGGER_NODE_ID];
  while (queue.length) {
    for (const next of adj.get(queue.shift()!) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  const issues: DefinitionIssue[] = [];
  def.nodes.forEach((n, i) => {
    if (!reached.has(n.id))
      issues.push({ path: `$.nodes[${i}]`, message: `node "${n.id}" is not reachable from the trigger` });
  });
  return issues;
}

/**
 * Removing every edge into a cycle-closing node leaves a graph that must be acyclic: then every remaining cycle
 * of the full graph runs through such a node. Reports the edge that closes each cycle found.
 */
function checkCycles(def: FlowDefinition, registry: NodeTypeRegistry): DefinitionIssue[] {
  const closers = new Set(def.nodes.filter((n) => registry.getNodeType(n.type)?.closesCycles).map((n) => n.id));
  const adj = adjacency(def, (to) => !closers.has(to));
  const state = new Map<string, 1 | 2>(); // 1 = on the DFS stack, 2 = done
  const backEdges = new Set<string>();
  const visit = (start: string): void => {
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = adj.get(top[0])![top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) {
        backEdges.add(`${top[0]}\u0000${next}`);
      } else if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  };
  for (const id of adj.keys()) if (!state.has(id)) visit(id);
  const issues: DefinitionIssue[] = [];
  def.edges.forEach((e, i) => {
    if (e.from !== e.to && backEdges.has(`${e.from}\u0000${e.to}`)) {
      issues.push({
        path: `$.edges[${i}]`,
        message: `closes a cycle (${e.from} → ${e.to}); only edges back into a loop node may form cycles`,
      });
    }
  });
  return issues;
}
