import type { HostProcess } from './host-process.js';
import type { EvaluateAllRequest, JsonValue, RunCodeRequest, SandboxData, SandboxResult } from './sandbox.types.js';

/** Which host holds a run session's context; set by the session's first call. */
export interface RunBinding {
  readonly id: number;
  host?: HostProcess;
  /** Set by close(): a call still waiting for its org slot then runs in a one-off context instead. */
  closed?: boolean;
}

/** What a run session needs from the pool that opened it (SandboxPool.openRun); nothing else of the pool. */
export interface RunSessionHost {
  runCode(request: RunCodeRequest, binding: RunBinding): Promise<SandboxResult>;
  evaluateAll(request: EvaluateAllRequest, binding: RunBinding): Promise<SandboxResult<JsonValue[]>>;
  close(orgId: string, binding: RunBinding): void;
}

/**
 * The sandbox calls of one run (SandboxPool.openRun). They share one context in one isolate of the org, so the
 * run pays for one fresh context instead of one per call; no other run ever sees that context. A limit that
 * trips disposes the isolate, and the run's next call starts over in a fresh context. `close()` when the run ends.
 */
export class SandboxRun {
  private closed = false;

  constructor(
    private readonly host: RunSessionHost,
    readonly orgId: string,
    private readonly binding: RunBinding,
  ) {}

  evaluateAll(expressions: string[], context: SandboxData): Promise<SandboxResult<JsonValue[]>> {
    this.assertOpen();
    return this.host.evaluateAll({ orgId: this.orgId, expressions, context }, this.binding);
  }

  runCode(request: Omit<RunCodeRequest, 'orgId'>): Promise<SandboxResult> {
    this.assertOpen();
    return this.host.runCode({ ...request, orgId: this.orgId }, this.binding);
  }

  /** Releases the run's context (once a call still running on it has ended). Idempotent. */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.host.close(this.orgId, this.binding);
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error('This sandbox run is closed');
    }
  }
}
