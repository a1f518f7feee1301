import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ClusterBus } from '../../../../core/cluster/cluster-bus.js';
import { AppConfig } from '../../../../core/config/app-config.js';
import { SecretBox } from '../../../../core/crypto/secret-box.js';
import { Database } from '../../../../core/database/database.js';
import { LOGGER } from '../../../../core/logging/logger.js';
import { Tracing } from '../../../../core/tracing/tracing.js';
import { ExecutionException } from '../../execution.exception.js';
import type { RunOutcome } from '../../engine/run-types.js';
import { OrgRuntimeCache } from '../org-runtime.js';
import { RunAdmission } from '../run-admission.js';
import { RUN_CANCEL_CHANNEL, RUN_EVENTS_CHANNEL, type RunEvent } from '../run-channels.js';
import { RunExecutor } from '../run-executor.js';
import type { ActiveRunInfo, AwaitedRun, LaunchRequest, RunLauncher } from '../run-launcher.port.js';
import { runStore } from '../run-store.js';
import { RunWaiters } from '../run-waiters.js';
import { LocalRuns } from './local-runs.js';
import { RunQueue } from './run-queue.js';

/** The sealed launch data of a queued run is bound to its org and run (GCM additional data). */
export const launchContext = (orgId: string, runId: string): string => `run_launch|${orgId}|${runId}`;

/**
 * The run launcher of `TENANTFLOW_MODE=api` and `worker`: a run is written `queued` in PostgreSQL with its launch
 * data sealed, then put on the BullMQ queue; a worker claims and executes it (RunWorker). `launch` returns once both
 * writes succeeded, so a 202 means the run is durable; if Redis refuses the job, the row is removed and the caller
 * gets 503 `queue_unavailable`. A waiting caller hears the run's `respond` answer and end on RUN_EVENTS_CHANNEL,
 * whichever worker ran it.
 */
@Injectable()
export class QueueRunLauncher implements RunLauncher, OnApplicationBootstrap {
  private readonly waiters = new RunWaiters();
  /** Org of each awaited run, to read its row when the end arrives without the outcome (recovery ended it). */
  private readonly awaitedOrg = new Map<string, string>();

  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
    private readonly orgs: OrgRuntimeCache,
    private readonly admission: RunAdmission,
    private readonly executor: RunExecutor,
    private readonly queue: RunQueue,
    private readonly local: LocalRuns,
    private readonly box: SecretBox,
    private readonly bus: ClusterBus,
    private readonly tracing: Tracing,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    bus.subscribe(RUN_EVENTS_CHANNEL, (e) => void this.onEvent(e));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.get('TENANTFLOW_MODE') !== 'all') await this.queue.connect();
  }

  async launch(req: LaunchRequest): Promise<{ runId: string }> {
    const orgId = req.flow.orgId;
    const org = await this.orgs.get(orgId);
    if (!org?.active) throw new ExecutionException('flow_not_runnable', 'The organization cannot run flows');
    await this.admission.admit(orgId, org);
    const priority = await this.queue
      .reserve(orgId, this.config.get('TENANTFLOW_RUN_MAX_QUEUED'))
      .catch((e: unknown) => {
        throw e instanceof ExecutionException ? e : unavailable(e, this.log);
      });
    const run = { ...this.executor.newRun(req, 'queued', ''), instanceId: null };
    try {
      const sealed = this.box.seal(JSON.stringify(req), launchContext(orgId, run.id));
      await this.executor.insert(run, req, sealed);
    } catch (e) {
      await this.queue.release(orgId);
      throw e;
    }
    if (req.awaited) {
      this.waiters.expect(run.id);
      // Bounded: an end that never arrives (a lost pub/sub message) must not grow it for ever.
      if (this.awaitedOrg.size > 100_000) this.awaitedOrg.clear();
      this.awaitedOrg.set(run.id, orgId);
    }
    try {
      // The job carries the trace context (W3C traceparent): the worker's `run` span continues this request's trace.
      const trace = this.tracing.injectTraceContext();
      await this.queue.add({ runId: run.id, orgId, ...(trace.traceparent ? { trace } : {}) }, priority);
    } catch (e) {
      this.awaitedOrg.delete(run.id);
      await this.queue.release(orgId);
      await this.db
        .withOrg(orgId, (em) => runStore.removeQueued(em, orgId, run.id))
        .catch((err: Error) =>
          this.log.warn({ err: err.message, runId: run.id }, 'queued run left for the re-queue sweep'),
        );
      throw unavailable(e, this.log);
    }
    return { runId: run.id };
  }

  awaitOutcome(runId: string, opts: { timeoutMs: number; untilRespond?: boolean }): Promise<AwaitedRun> {
    const awaited = this.waiters.wait(runId, opts);
    if (!awaited) return Promise.resolve({ kind: 'timeout' });
    return awaited.then((r) => {
      if (r.kind === 'finished') this.awaitedOrg.delete(runId);
      return r;
    });
  }

  async cancel(orgId: string, runId: string): Promise<'stopped' | 'signalled'> {
    await this.bus.publish(RUN_CANCEL_CHANNEL, runId);
    return 'signalled';
  }

  async isActive(runId: string): Promise<ActiveRunInfo | null> {
    return this.local.get(runId) ?? null;
  }

  private async onEvent(e: RunEvent): Promise<void> {
    if (!this.waiters.has(e.runId)) return;
    if (e.kind === 'responded') return this.waiters.responded(e.runId, e.response);
    const outcome = e.outcome ? revive(e.outcome) : await this.readOutcome(e.runId);
    if (outcome) this.waiters.finished(e.runId, outcome);
  }

  /** The end of a run from its row (an end published without the outcome: run recovery failed it). */
  private async readOutcome(runId: string): Promise<RunOutcome | undefined> {
    const orgId = this.awaitedOrg.get(runId);
    if (!orgId) return undefined;
    const row = await this.db.withOrg(orgId, (em) => runStore.get(em, orgId, runId)).catch(() => null);
    if (!row || row.status === 'queued' || row.status === 'running') return undefined;
    return {
      status: row.status,
      output: row.output ?? undefined,
      error: row.errorType
        ? { type: row.errorType, message: row.errorMessage ?? '', nodeId: row.errorNodeId ?? undefined }
        : undefined,
      steps: [],
      startedAt: row.startedAt ?? row.createdAt,
      finishedAt: row.finishedAt ?? new Date(),
    } as RunOutcome;
  }
}

/** Dates travel as strings on the bus. */
function revive(o: RunOutcome): RunOutcome {
  return { ...o, steps: o.steps ?? [], startedAt: new Date(o.startedAt), finishedAt: new Date(o.finishedAt) };
}

function unavailable(e: unknown, log: Logger): ExecutionException {
  log.warn({ err: (e as Error).message }, 'run queue unavailable');
  return new ExecutionException('queue_unavailable', 'Runs cannot be queued right now; retry later', {
    headers: { 'Retry-After': '1' },
  });
}
