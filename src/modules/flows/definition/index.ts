/** Flow definitions: types, the node-type registry, the two-level validator and read-time upgrades. */
export * from './definition.types.js';
export {
  checkValue,
  childPath,
  isExpression,
  mapSensitive,
  walkSchema,
  type ArraySchema,
  type BooleanSchema,
  type CheckOptions,
  type FormatChecker,
  type JsonSchema,
  type NumberSchema,
  type ObjectSchema,
  type ParamSchema,
  type SchemaIssue,
  type StringFormat,
  type StringSchema,
  type UnionSchema,
  type ValidationLevel,
} from './param-schema.js';
export { NodeTypeRegistry, type NodeTypeSpec, type TriggerTypeSpec } from './node-type.registry.js';
export { createNodeTypeRegistry } from './create-registry.js';
export { BUILT_IN_NODE_TYPES } from './built-in-node-types.js';
export { BUILT_IN_TRIGGER_TYPES } from './built-in-trigger-types.js';
export { NODE_ID_PATTERN } from './envelope.schema.js';
export { validateDefinition, type DefinitionCheck } from './validate-definition.js';
export { checkGraph } from './graph.js';
export {
  secretReferencesIn,
  checkTemplateString,
  collectConnectionReferences,
  type ConnectionReference,
} from './references.js';
export {
  hasExpression,
  hasTemplate,
  parseSecretReference,
  parseTemplate,
  TEMPLATE_OPEN,
  type ParsedTemplate,
  type SecretRef,
  type SecretRef as SecretReference,
  type TemplatePart,
} from './template-grammar.js';
export { upgradeDefinition, DefinitionUpgradeError, type UpgradeResult } from './upgrade.js';
export { DEFINITION_MIGRATIONS } from './migrations/index.js';
