/**
 * Public API of the flows module: definition types, the node-type registry, validation and upgrades; the runtime
 * lookups the execution and webhook modules use; entities for the entity list.
 */
export * from './definition/index.js';
export { FlowsModule } from './flows.module.js';
export { FlowsService } from './flows.service.js';
export { FlowRuntimeService, type RunnableDefinition, type WebhookFlow } from './flow-runtime.service.js';
export { FlowDefinitionsService, type ConnectionReferenceChecker } from './flow-definitions.service.js';
export { FlowsException, FLOWS_ERROR_HTTP, type FlowsErrorCode } from './flows.exception.js';
export { FLOW_SHARE_GRANTS, shareRules } from './flow-share.contributor.js';
export { FLOW_SHARE_ROLES, type FlowShareRole, FlowShareEntity } from './flow-share.entity.js';
export { FlowEntity } from './flow.entity.js';
export { FlowVersionEntity } from './flow-version.entity.js';
export { diffDefinitions, type DefinitionDiff, type ValueChange } from './domain/definition-diff.js';
export { MASK } from './domain/sensitive-values.js';
