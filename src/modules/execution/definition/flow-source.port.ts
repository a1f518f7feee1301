import type { FlowDefinition } from './flow-definition.js';

/** A definition ready to run (mirrors the flows module's `RunnableDefinition`). */
export interface RunnableFlow {
  orgId: string;
  projectId: string;
  flowId: string;
  enabled: boolean;
  version: number | 'draft';
  definition: FlowDefinition;
}

/** What `/hooks/:flowId` needs (mirrors the flows module's `WebhookFlow`). */
export interface WebhookFlowInfo {
  orgId: string;
  projectId: string;
  flowId: string;
  enabled: boolean;
  version: number | null;
  definition: FlowDefinition | null;
}

/** A published flow with a schedule trigger, for the scheduler. */
export interface ScheduledFlowInfo {
  orgId: string;
  projectId: string;
  flowId: string;
  version: number;
  definition: FlowDefinition;
}

/**
 * Where execution gets definitions: the flows module's runtime service (`getRunnableDefinition`,
 * `findPublishedForWebhook`), bound in the execution module. `authorize` asks the flows module to check the current
 * request's ability on the flow (404 when it cannot read it).
 */
export interface FlowSource {
  getRunnableDefinition(orgId: string, flowId: string, version?: number | 'draft', opts?: { authorize?: ('run' | 'update' | 'read')[] }): Promise<RunnableFlow>;
  findPublishedForWebhook(flowId: string): Promise<WebhookFlowInfo | null>;
  listScheduledFlows(): Promise<ScheduledFlowInfo[]>;
}

export const FLOW_SOURCE = Symbol('FLOW_SOURCE');
