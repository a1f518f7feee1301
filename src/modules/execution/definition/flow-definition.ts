/**
 * What the engine takes from the flows module: the definition types (schemaVersion 1), the `{{ }}` grammar and the
 * node-type schema registry. Everything in execution imports them from here, so a change of their home is a
 * one-file change.
 */
export {
  TRIGGER_NODE_ID as TRIGGER_ID,
  createNodeTypeRegistry,
  type NodeTypeRegistry,
  type NodeTypeSpec,
  hasTemplate,
  parseTemplate,
  type SecretRef,
  type EdgeDefinition,
  type FlowDefinition,
  type JsonValue,
  type NodeDefinition,
  type NodeRetry as NodeRetrySettings,
  type ScheduleSettings as ScheduleTriggerSettings,
  type TriggerDefinition,
  type WebhookAuth as WebhookAuthSettings,
  type WebhookHandshake as WebhookHandshakeSettings,
  type WebhookSettings as WebhookTriggerSettings,
} from '../../flows/index.js';
