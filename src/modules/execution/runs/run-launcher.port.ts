import type { RunnableFlow } from '../definition/flow-source.port.js';
import type { RespondOutput } from '../engine/nodes/node-executor.js';
import type { RunOutcome, TriggerPayload } from '../engine/run-types.js';

/** What starts a run. Plain data, so that a queue can carry it to a worker. */
export interface LaunchRequest {
  flow: RunnableFlow;
  trigger: TriggerPayload;
  triggerType: 'webhook' | 'manual' | 'schedule';
  /** What is stored as the run's input (already stripped of credentials). */
  storedInput: unknown;
  /** Durable runs are written as `running` before `launch` returns (manual, accepted webhooks, schedules); others at the end. */
  durable: boolean;
  /** The caller will call `awaitOutcome`: the launcher keeps the run's answer for it until then. */
  awaited?: boolean;
  idempotencyKey?: string;
  requestHash?: string;
  createdBy?: { type: string; id: string | null };
  /** Secret values known before the run (webhook auth secrets): redacted from everything recorded. */
  knownSecrets?: string[];
}

/** How waiting for a run ended. */
export type AwaitedRun =
  | { kind: 'finished'; outcome: RunOutcome }
  /** The first `respond` node ran (only with `untilRespond`); the run may still be going. */
  | { kind: 'responded'; response: RespondOutput }
  | { kind: 'timeout' };

/** A run that has not ended, as far as the launcher knows. */
export interface ActiveRunInfo {
  orgId: string;
  projectId: string;
  flowId: string;
  version: number | 'draft';
  triggerType: LaunchRequest['triggerType'];
  startedAt: Date;
  /** False for a synchronous run whose row is written only when it ends. */
  recorded: boolean;
}

/**
 * The run lifecycle as callers see it, whatever process executes the run: the manual-run API, webhooks, the
 * scheduler and recovery use only this. Today's implementation executes in this process
 * (InProcessRunLauncher); a queue with workers can implement it unchanged for callers, because a run's `respond`
 * answer and its end are events keyed by run id (in process they are direct calls; across processes they travel
 * on the cluster bus, see RUN_EVENTS_CHANNEL), and a cancellation reaches whichever process executes the run.
 */
export interface RunLauncher {
  /**
   * Starts a run. Throws `flow_not_runnable` (org not active), `run_limit_reached` (429, org at its concurrency
   * limit) and the database's unique violation (`23505`) for a repeated idempotency key.
   */
  launch(req: LaunchRequest): Promise<{ runId: string }>;

  /**
   * Waits for a run launched with `awaited: true`: its outcome, or with `untilRespond` the first `respond` node's
   * answer if that comes first, or `timeout` after `timeoutMs`.
   */
  awaitOutcome(runId: string, opts: { timeoutMs: number; untilRespond?: boolean }): Promise<AwaitedRun>;

  /**
   * Stops a run of `orgId` wherever it executes. `stopped`: it ran here and has ended, its record written;
   * `signalled`: the processes were told (the one executing it aborts it). Authorisation and the run row are the
   * caller's business.
   */
  cancel(orgId: string, runId: string): Promise<'stopped' | 'signalled'>;

  /** The run if it is executing (in this process for the in-process launcher), else null. */
  isActive(runId: string): Promise<ActiveRunInfo | null>;
}

/** DI token of the process's RunLauncher. */
export const RUN_LAUNCHER = Symbol('RUN_LAUNCHER');
