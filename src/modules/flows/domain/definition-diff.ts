import { childPath, type EdgeDefinition, type FlowDefinition, type JsonValue } from '../definition/index.js';
import { canonicalJson } from './canonical-json.js';

export interface ValueChange {
  /** JSON path in the `to` definition (for removals: where the value was). */
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: JsonValue;
  after?: JsonValue;
}

export interface NodeRef {
  id: string;
  type: string;
  /** `$.nodes[i]` in the definition that holds the node (`to`, or `from` for removed nodes). */
  path: string;
}

export interface EdgeRef extends EdgeDefinition {
  path: string;
}

export interface DefinitionDiff {
  identical: boolean;
  /** Top-level changes outside trigger, nodes and edges (e.g. `schemaVersion`). */
  changes: ValueChange[];
  trigger: ValueChange[];
  nodes: { added: NodeRef[]; removed: NodeRef[]; changed: (NodeRef & { changes: ValueChange[] })[] };
  edges: { added: EdgeRef[]; removed: EdgeRef[] };
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural JSON diff: objects by key, arrays by index. */
export function diffValues(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
  out: ValueChange[] = [],
): ValueChange[] {
  if (a === undefined && b === undefined) return out;
  if (a === undefined) return (out.push({ path, op: 'added', after: b }), out);
  if (b === undefined) return (out.push({ path, op: 'removed', before: a }), out);
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffValues(a[k], b[k], childPath(path, k), out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
  } else if (canonicalJson(a) !== canonicalJson(b)) {
    out.push({ path, op: 'changed', before: a, after: b });
  }
  return out;
}

const edgeKey = (e: EdgeDefinition): string => `${e.from}\u0000${e.to}\u0000${e.handle ?? ''}`;

/**
 * What changed from `from` to `to`: nodes matched by id (added, removed, changed with per-value paths; order
 * does not matter), edges as a set, trigger and other fields as value changes.
 */
export function diffDefinitions(from: FlowDefinition, to: FlowDefinition): DefinitionDiff {
  const { trigger: ta, nodes: na, edges: ea, ...restA } = from;
  const { trigger: tb, nodes: nb, edges: eb, ...restB } = to;
  const changes = diffValues(restA as unknown as JsonValue, restB as unknown as JsonValue, '$');
  const trigger = diffValues(ta as unknown as JsonValue, tb as unknown as JsonValue, '$.trigger');

  const fromIdx = new Map(na.map((n, i) => [n.id, i]));
  const toIdx = new Map(nb.map((n, i) => [n.id, i]));
  const nodes: DefinitionDiff['nodes'] = { added: [], removed: [], changed: [] };
  nb.forEach((n, i) => {
    const j = fromIdx.get(n.id);
    const path = `$.nodes[${i}]`;
    if (j === undefined) return nodes.added.push({ id: n.id, type: n.type, path });
    const nodeChanges = diffValues(na[j] as unknown as JsonValue, n as unknown as JsonValue, path);
    if (nodeChanges.length) nodes.changed.push({ id: n.id, type: n.type, path, changes: nodeChanges });
  });
  na.forEach((n, j) => {
    if (!toIdx.has(n.id)) nodes.removed.push({ id: n.id, type: n.type, path: `$.nodes[${j}]` });
  });

  const keysA = new Set(ea.map(edgeKey));
  const keysB = new Set(eb.map(edgeKey));
  const edges: DefinitionDiff['edges'] = {
    added: eb.flatMap((e, i) => (keysA.has(edgeKey(e)) ? [] : [{ ...e, path: `$.edges[${i}]` }])),
    removed: ea.flatMap((e, i) => (keysB.has(edgeKey(e)) ? [] : [{ ...e, path: `$.edges[${i}]` }])),
  };
  const identical =
    !changes.length &&
    !trigger.length &&
    !nodes.added.length &&
    !nodes.removed.length &&
    !nodes.changed.length &&
    !edges.added.length &&
    !edges.removed.length;
  return { identical, changes, trigger, nodes, edges };
}
