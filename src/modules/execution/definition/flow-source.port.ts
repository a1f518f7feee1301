import type { RunnableDefinition as RunnableFlow, WebhookFlow as WebhookFlowInfo } from '../../flows/index.js';
import type { FlowDefinition } from './flow-definition.js';

/** A definition ready to run, and what `/hooks/:flowId` needs: the flows module's own types, not copies. */
export type { RunnableFlow, WebhookFlowInfo };

/** A published flow with a schedule trigger, for the scheduler. */
export interface ScheduledFlowInfo {
  orgId: string;
  projectId: string;
  flowId: string;
  version: number;
  definition: FlowDefinition;
  /** Scheduled without a break since then (the flow last enabled, its org last reactivated): a catch-up starts no earlier. */
  activeSince: Date;
}

/**
 * Where execution gets definitions: the flows module's runtime service (`getRunnableDefinition`,
 * `findPublishedForWebhook`), bound in the execution module. `authorize` asks the flows module to check the current
 * request's ability on the flow (404 when it cannot read it).
 */
export interface FlowSource {
  getRunnableDefinition(
    orgId: string,
    flowId: string,
    version?: number | 'draft',
    opts?: { authorize?: ('run' | 'update' | 'read')[] },
  ): Promise<RunnableFlow>;
  findPublishedForWebhook(flowId: string): Promise<WebhookFlowInfo | null>;
  /** Whether a live flow with this id exists in the org and the caller may read it. */
  flowExists(orgId: string, flowId: string): Promise<boolean>;
  listScheduledFlows(): Promise<ScheduledFlowInfo[]>;
}

export const FLOW_SOURCE = Symbol('FLOW_SOURCE');
