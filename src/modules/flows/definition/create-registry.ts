import { BUILT_IN_FORMATS } from './built-in-formats.js';
import { BUILT_IN_NODE_TYPES } from './built-in-node-types.js';
import { BUILT_IN_TRIGGER_TYPES } from './built-in-trigger-types.js';
import { NodeTypeRegistry } from './node-type.registry.js';

/** A registry holding the built-in node types, trigger types and formats (plugins add theirs afterwards). */
export function createNodeTypeRegistry(): NodeTypeRegistry {
  const registry = new NodeTypeRegistry();
  for (const [name, checker] of Object.entries(BUILT_IN_FORMATS)) registry.registerFormat(name, checker);
  for (const spec of BUILT_IN_TRIGGER_TYPES) registry.registerTriggerType(spec);
  for (const spec of BUILT_IN_NODE_TYPES) registry.registerNodeType(spec);
  return registry;
}
