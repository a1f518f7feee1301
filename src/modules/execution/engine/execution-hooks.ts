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

/** The engine's extension points, filled by the execution module from the plugin host. */
export class ExecutionHooks {
  private readonly before: { name: string; hook: BeforeNodeExecuteHook }[] = [];

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
