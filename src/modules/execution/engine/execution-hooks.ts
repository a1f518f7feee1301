import type { EgressRefusal } from '../../egress/index.js';

/** What a `beforeNodeExecute` hook learns about the node about to run (its parameters already rendered). */
export interface BeforeNodeExecuteEvent {
  orgId: string;
  runId: string;
  flowId: string;
  version: number | 'draft';
  nodeId: string;
  nodeType: string;
  attempt: number;
  params: Record<string, unknown>;
}

/** Continue (nothing), run with other parameters, or skip the node with an output. */
export interface BeforeNodeExecuteDecision {
  params?: Record<string, unknown>;
  skip?: { output: unknown };
}

/** Throwing fails the node (a `StepFailure` keeps its type; anything else is `plugin_error`): never ignored. */
export type BeforeNodeExecuteHook = (event: BeforeNodeExecuteEvent) => Promise<BeforeNodeExecuteDecision | void>;

/** An outbound request of a node that the egress guard refused by policy (a security event, audited). */
export interface EgressRefusedEvent {
  orgId: string;
  runId: string;
  flowId: string;
  nodeId: string;
  refusal: EgressRefusal;
}

export type EgressRefusedListener = (event: EgressRefusedEvent) => Promise<void>;

/** The engine's extension points, filled by the execution module (the plugin host's beforeNodeExecute, the audit of egress refusals). */
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

  /** Hooks in order; each sees the parameters the previous one left; the first skip ends the chain. */
  async beforeNodeExecute(event: BeforeNodeExecuteEvent): Promise<BeforeNodeExecuteDecision> {
    let params = event.params;
    for (const { hook } of this.before) {
      const d = await hook({ ...event, params });
      if (d?.skip) return { skip: d.skip };
      if (d?.params) params = d.params;
    }
    return params === event.params ? {} : { params };
  }
}
