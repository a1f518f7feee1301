import {
  CURRENT_SCHEMA_VERSION,
  TRIGGER_NODE_ID,
  type DefinitionIssue,
  type FlowDefinition,
  type JsonObject,
} from './definition.types.js';
import { DEFINITION_SCHEMA } from './envelope.schema.js';
import { checkGraph } from './graph.js';
import type { NodeTypeRegistry } from './node-type.registry.js';
import { checkValue, typeName, type ValidationLevel } from './param-schema.js';
import {
  collectConnectionReferences,
  checkTemplateString,
  forEachTemplateString,
  type ConnectionReference,
} from './references.js';

export interface DefinitionCheck {
  /** Problems found, each with a JSON path rooted at the definition (`$`). Empty = valid at this level. */
  issues: DefinitionIssue[];
  /** Connection ids the definition uses (publish level), for the caller's existence and project checks. */
  connections: ConnectionReference[];
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a definition (already upgraded to the current schema version) against the registry.
 * - `draft`: structure, unique node ids, known trigger and node types, no unknown or mistyped parameters, edges
 *   between existing nodes. An incomplete draft (missing required values, unconnected nodes) passes.
 * - `publish`: everything, plus required parameters, formats, graph rules and well-formed secret references.
 */
export function validateDefinition(raw: unknown, registry: NodeTypeRegistry, level: ValidationLevel): DefinitionCheck {
  const issues: DefinitionIssue[] = [];
  // The envelope's own required fields hold at both levels: without them there is nothing to edit.
  checkValue(DEFINITION_SCHEMA, raw, '$', 'publish', issues, { unknownKeyMessage: 'unknown field' });
  if (issues.length || !isObject(raw)) return { issues, connections: [] };
  const def = raw as unknown as FlowDefinition;
  if (def.schemaVersion !== CURRENT_SCHEMA_VERSION) {
    return { issues: [{ path: '$.schemaVersion', message: `must be ${CURRENT_SCHEMA_VERSION}` }], connections: [] };
  }
  checkTrigger(def, registry, level, issues);
  const connections = checkNodes(def, registry, level, issues);
  checkEdgeEnds(def, issues);
  if (level === 'publish' && issues.length === 0) issues.push(...checkGraph(def, registry));
  return { issues, connections: level === 'publish' ? connections : [] };
}

function checkTrigger(
  def: FlowDefinition,
  registry: NodeTypeRegistry,
  level: ValidationLevel,
  issues: DefinitionIssue[],
): void {
  const spec = registry.getTriggerType(def.trigger.type);
  if (!spec) {
    const known = registry
      .listTriggerTypes()
      .map((t) => t.type)
      .join(', ');
    issues.push({ path: '$.trigger.type', message: `unknown trigger type "${def.trigger.type}" (known: ${known})` });
    return;
  }
  const settings = def.trigger.settings ?? {};
  const path = '$.trigger.settings';
  const before = issues.length;
  checkValue(spec.settings, settings, path, level, issues, { formats: registry.formats() });
  if (level !== 'publish' || issues.length > before || !isObject(settings)) return;
  issues.push(...(spec.validate?.(settings, path) ?? []));
  forEachTemplateString(spec.settings, settings, path, (s, p) => issues.push(...checkTemplateString(s, p)));
}

function checkNodes(
  def: FlowDefinition,
  registry: NodeTypeRegistry,
  level: ValidationLevel,
  issues: DefinitionIssue[],
): ConnectionReference[] {
  const ids = new Set<string>();
  const connections: ConnectionReference[] = [];
  def.nodes.forEach((node, i) => {
    const path = `$.nodes[${i}]`;
    if (node.id === TRIGGER_NODE_ID)
      issues.push({ path: `${path}.id`, message: `"${TRIGGER_NODE_ID}" is reserved for the trigger` });
    else if (ids.has(node.id)) issues.push({ path: `${path}.id`, message: `duplicate node id "${node.id}"` });
    ids.add(node.id);
    const spec = registry.getNodeType(node.type);
    if (!spec) {
      issues.push({ path: `${path}.type`, message: `unknown node type "${node.type}"` });
      return;
    }
    const params = node.params ?? {};
    const paramsPath = `${path}.params`;
    if (!isObject(params)) {
      issues.push({ path: paramsPath, message: `must be an object, not ${typeName(params)}` });
      return;
    }
    const before = issues.length;
    checkValue(spec.params, params, paramsPath, level, issues, { formats: registry.formats() });
    if (level !== 'publish' || issues.length > before) return;
    issues.push(...(spec.validate?.(params, paramsPath) ?? []));
    forEachTemplateString(spec.params, params, paramsPath, (s, p) => issues.push(...checkTemplateString(s, p)));
    connections.push(...collectConnectionReferences(spec.params, params, paramsPath, node.id));
  });
  return connections;
}

/** Edges must join existing nodes even in a draft: a dangling edge is an error, not an incomplete draft. */
function checkEdgeEnds(def: FlowDefinition, issues: DefinitionIssue[]): void {
  const ids = new Set(def.nodes.map((n) => n.id));
  def.edges.forEach((e, i) => {
    if (e.from !== TRIGGER_NODE_ID && !ids.has(e.from))
      issues.push({ path: `$.edges[${i}].from`, message: `no node "${e.from}"` });
    if (!ids.has(e.to))
      issues.push({
        path: `$.edges[${i}].to`,
        message: e.to === TRIGGER_NODE_ID ? 'an edge cannot lead to the trigger' : `no node "${e.to}"`,
      });
  });
}
