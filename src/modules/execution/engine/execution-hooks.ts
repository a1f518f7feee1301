import type { EgressRefusal } from '../../egress/index.js';

/** What a `beforeNodeExecute` hook learns about the node about to run. */
export interface BeforeNodeExecuteEvent {
  orgId: string;
  runId: string;
  flowId: string;
  version: number | 'draft';
  nodeId: string;
  nodeType: string;
  attempt: number;
}

/** Throwing refuses the node (the step fails with `node_error`); the engine never skips a failing hook (fail closed). */
export type BeforeNodeExecuteHook = (event: BeforeNodeExecuteEvent) => void | Promise<void>;

/** An outbound request of a node that the egress guard refused by policy (a security event, audited). */
export interface EgressRefusedEvent {
  orgId: string;
  runId: string;
  flowId: string;
  nodeId: string;
  refusal: EgressRefusal;
}

export type EgressRefusedListener = (event: EgressRefusedEvent) => Promise<void>;

/** The engine's extension points, filled by the plugins module (and the audit of egress refusals). */
export class ExecutionHooks {
  private readonly before: { name: string; hook: BeforeNodeExecuteHook }[] = [];
  private readonly refused: EgressRefusedListener[] = [];

  /** Listeners must not throw: a failing listener never changes how the node fails. */
  onEgressRefused(listener: EgressRefusedListener): void {
    this.refused.push(listener);
  }

  async egressRefused(event: EgressRefusedEvent): Promise<void> {
    for (const listener of this.refused) await listener(event).catch(() => undefined);
  }

  registerBeforeNodeExecute(name: string, hook: BeforeNodeExecuteHook): void {
    this.before.push({ name, hook });
  }

  get hasBeforeNodeExecute(): boolean {
    return this.before.length > 0;
  }

  async beforeNodeExecute(event: BeforeNodeExecuteEvent): Promise<void> {
    for (const { hook } of this.before) await hook(event);
  }
}
