import {
  TRIGGER_ID,
  type EdgeDefinition,
  type FlowDefinition,
  type NodeDefinition,
} from '../definition/flow-definition.js';
import { StepFailure } from './run-errors.js';

/** A definition compiled for execution: topological order, adjacency, loop bodies. Built once per definition. */
export interface FlowPlan {
  nodes: Map<string, NodeDefinition>;
  order: string[];
  outgoing: Map<string, EdgeDefinition[]>;
  /** Id of a node whose type has a body output (loop) → that output's handle (`each`). */
  bodyHandles: Map<string, string>;
  /** Such a node's id → the nodes of its body (reachable from its body edges). */
  bodies: Map<string, Set<string>>;
  /** Top-level nodes (not inside any loop body). */
  topLevel: Set<string>;
}

/** The body output of a node type (NodeTypeSpec.bodyOutput), or undefined. */
export type BodyOutputOf = (nodeType: string) => string | undefined;

/** Compiles `def`, once per definition object and `plans` cache (one per engine, as the node types are). */
export function compilePlan(
  def: FlowDefinition,
  bodyOutputOf: BodyOutputOf,
  plans: WeakMap<FlowDefinition, FlowPlan>,
): FlowPlan {
  const hit = plans.get(def);
  if (hit) return hit;
  const plan = buildPlan(def, bodyOutputOf);
  plans.set(def, plan);
  return plan;
}

function buildPlan(def: FlowDefinition, bodyOutputOf: BodyOutputOf): FlowPlan {
  const nodes = new Map<string, NodeDefinition>();
  for (const n of def.nodes ?? []) {
    if (n.id === TRIGGER_ID || nodes.has(n.id)) throw invalid(`Duplicate or reserved node id "${n.id}"`);
    nodes.set(n.id, n);
  }
  const outgoing = new Map<string, EdgeDefinition[]>();
  for (const e of def.edges ?? []) {
    if ((e.from !== TRIGGER_ID && !nodes.has(e.from)) || !nodes.has(e.to))
      throw invalid(`Edge ${e.from} → ${e.to} names an unknown node`);
    outgoing.set(e.from, [...(outgoing.get(e.from) ?? []), e]);
  }
  const bodyHandles = new Map<string, string>();
  const bodies = new Map<string, Set<string>>();
  for (const n of nodes.values()) {
    const handle = bodyOutputOf(n.type);
    if (handle === undefined) continue;
    bodyHandles.set(n.id, handle);
    bodies.set(n.id, reachable(n.id, handle, outgoing));
  }
  // An edge from a body back to its node closes the iteration (the only cycle a flow may have): the engine
  // iterates itself, so such edges are not part of the order and are never taken.
  for (const [from, edges] of outgoing) {
    outgoing.set(
      from,
      edges.filter((e) => !bodies.get(e.to)?.has(from)),
    );
  }
  const order = topologicalOrder(nodes, outgoing);
  const inSomeBody = new Set([...bodies.values()].flatMap((b) => [...b]));
  const topLevel = new Set([...nodes.keys()].filter((id) => !inSomeBody.has(id)));
  return { nodes, order, outgoing, bodyHandles, bodies, topLevel };
}

function reachable(loopId: string, bodyHandle: string, outgoing: Map<string, EdgeDefinition[]>): Set<string> {
  const seen = new Set<string>();
  const stack = (outgoing.get(loopId) ?? []).filter((e) => e.handle === bodyHandle).map((e) => e.to);
  while (stack.length) {
    const id = stack.pop()!;
    if (id === loopId || seen.has(id)) continue;
    seen.add(id);
    for (const e of outgoing.get(id) ?? []) stack.push(e.to);
  }
  return seen;
}

function topologicalOrder(nodes: Map<string, NodeDefinition>, outgoing: Map<string, EdgeDefinition[]>): string[] {
  const indegree = new Map([...nodes.keys()].map((id) => [id, 0]));
  for (const [from, edges] of outgoing) {
    if (from === TRIGGER_ID) continue;
    for (const e of edges) indegree.set(e.to, indegree.get(e.to)! + 1);
  }
  // Definition order breaks ties, so runs are deterministic.
  const ready = [...nodes.keys()].filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const e of outgoing.get(id) ?? []) {
      const d = indegree.get(e.to)! - 1;
      indegree.set(e.to, d);
      if (d === 0) ready.push(e.to);
    }
  }
  if (order.length !== nodes.size) throw invalid('The flow graph has a cycle');
  return order;
}

/** The nodes a scope schedules itself: its members minus the bodies of loops among them (those run per item). */
export function scheduledWithin(plan: FlowPlan, members: Set<string>): Set<string> {
  const out = new Set(members);
  for (const id of members) {
    const body = plan.bodies.get(id);
    if (body) for (const b of body) out.delete(b);
  }
  return out;
}

const invalid = (message: string) => new StepFailure('node_error', `Invalid flow definition: ${message}`);
