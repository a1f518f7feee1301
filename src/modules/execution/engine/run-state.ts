import { safeHttpRequest, type SafeHttpRequestOptions, type SafeHttpResponse } from '../../egress/index.js';
import type { RespondOutput } from './nodes/node-executor.js';
import type { RunSecrets } from './params.js';
import { Redactor, storedValue } from './redaction.js';
import { StepFailure, type RunError } from './run-errors.js';
import type { EngineRun, StepRecord } from './run-types.js';
import type { RunSandbox } from './sandbox.port.js';
import type { SecretRef } from './template.js';

export type AbortReason = 'cancelled' | 'timed_out';

/** Resolves secret references for a run (filled by the secrets module; the default refuses). */
export interface SecretResolver {
  resolve(orgId: string, ref: SecretRef): Promise<string>;
}

export const NO_SECRETS: SecretResolver = {
  resolve: async (_orgId, ref) => {
    throw new StepFailure('node_error', `Secret provider "${ref.provider}" is not configured`);
  },
};

export type HttpClient = (options: SafeHttpRequestOptions) => Promise<SafeHttpResponse>;

/** What a connection adds to a request (the connections module's `ConnectionsRuntime` fits it). */
export interface ConnectionAuthPort {
  authFor(
    orgId: string,
    projectId: string,
    connectionId: string,
    resolve: (ref: SecretRef) => Promise<string>,
    http: HttpClient,
  ): Promise<{
    headers: Record<string, string>;
    query: Record<string, string>;
    secrets: string[];
  }>;
}

/** Mutable state of one run: outputs so far, step records, step budget, secrets seen, abort reason. */
export class RunState implements RunSecrets {
  readonly redactor = new Redactor();
  readonly steps: StepRecord[] = [];
  readonly outputs: Record<string, { output: unknown }> = Object.create(null) as Record<string, { output: unknown }>;
  readonly controller = new AbortController();
  readonly startedAt = new Date();
  readonly deadline: number;
  response?: RespondOutput;
  /** The run's sandbox session, released when the run ends (FlowEngine). */
  sandbox?: RunSandbox;
  abortReason?: AbortReason;
  private stepCount = 0;
  private readonly secretCache = new Map<string, string>();
  private deadlineTimer?: NodeJS.Timeout;
  private readonly onExternalAbort = () => this.abort('cancelled');

  constructor(
    readonly run: EngineRun,
    private readonly resolver: SecretResolver,
    readonly http: HttpClient = safeHttpRequest,
    private readonly connections?: ConnectionAuthPort,
  ) {
    for (const s of run.knownSecrets ?? []) this.redactor.add(s);
    this.deadline = this.startedAt.getTime() + run.limits.maxDurationMs;
    this.deadlineTimer = setTimeout(() => this.abort('timed_out'), run.limits.maxDurationMs);
    run.signal?.addEventListener('abort', this.onExternalAbort, { once: true });
    if (run.signal?.aborted) this.abort('cancelled');
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.controller.abort(new StepFailure(reason === 'timed_out' ? 'timeout' : 'node_error', reason));
  }

  dispose(): void {
    clearTimeout(this.deadlineTimer);
    this.run.signal?.removeEventListener('abort', this.onExternalAbort);
  }

  /** Counts one step against the run's budget. */
  takeStep(nodeId: string): void {
    this.stepCount += 1;
    if (this.stepCount > this.run.limits.maxSteps) {
      throw Object.assign(new StepFailure('limit', `The run exceeded its limit of ${this.run.limits.maxSteps} steps`), {
        nodeId,
      });
    }
  }

  async resolve(ref: SecretRef): Promise<string> {
    const key = `${ref.provider}\u0000${ref.path}\u0000${ref.key ?? ''}`;
    let value = this.secretCache.get(key);
    if (value === undefined) {
      value = await this.resolver.resolve(this.run.orgId, ref);
      this.secretCache.set(key, value);
      this.redactor.add(value);
    }
    return value;
  }

  /**
   * The auth a connection adds to a request: secret references resolve through this run's resolver, and every
   * secret involved joins the redaction set before anything can record it. Failures never carry a secret.
   */
  async connectionAuth(
    connectionId: string,
    http: HttpClient,
  ): Promise<{ headers: Record<string, string>; query: Record<string, string> }> {
    if (!this.connections || !this.run.projectId)
      throw new StepFailure('node_error', 'connection_not_found: connections are not available to this run');
    try {
      const auth = await this.connections.authFor(
        this.run.orgId,
        this.run.projectId,
        connectionId,
        (ref) => this.resolve(ref),
        http,
      );
      for (const s of auth.secrets) this.redactor.add(s);
      return { headers: auth.headers, query: auth.query };
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      const err = e as { code?: string; retryable?: boolean; message?: string };
      throw new StepFailure(
        'node_error',
        this.redactor.text(err.code ? (err.message ?? err.code) : 'the connection could not be applied'),
        err.retryable === true,
      );
    }
  }

  respond(r: RespondOutput): void {
    if (this.response) return;
    this.response = r;
    this.run.onRespond?.({ ...r, body: this.redactor.value(r.body) });
  }

  record(step: Omit<StepRecord, 'output' | 'error'> & { output?: unknown; error?: RunError }): void {
    const max = this.run.limits.stepOutputMaxBytes;
    this.steps.push({
      ...step,
      output: step.output === undefined ? undefined : storedValue(step.output, this.redactor, max),
      error: step.error ? { ...step.error, message: this.redactor.text(step.error.message) } : undefined,
    });
  }
}
