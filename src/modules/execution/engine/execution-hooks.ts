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

/** The engine's extension points, filled by the plugins module. */
export class ExecutionHooks {
  private readonly before: { name: string; hook: BeforeNodeExecuteHook }[] = [];

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
