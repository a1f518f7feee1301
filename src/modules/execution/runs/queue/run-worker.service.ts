import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DelayedError } from 'bullmq';
import type { Logger } from 'pino';
import { ClusterBus } from '../../../../core/cluster/cluster-bus.js';
import { AppConfig } from '../../../../core/config/app-config.js';
import { BACKGROUND_WORK } from '../../../../core/core.module.js';
import { SecretBox } from '../../../../core/crypto/secret-box.js';
import { Database } from '../../../../core/database/database.js';
import { LOGGER } from '../../../../core/logging/logger.js';
import { Metrics, type Histogram } from '../../../../core/metrics/metrics.js';
import { Tracing } from '../../../../core/tracing/tracing.js';
import type { RunOutcome } from '../../engine/run-types.js';
import { executionSystemQueries } from '../../execution.system-queries.js';
import { INSTANCE_ID } from '../instance.js';
import { OrgRuntimeCache } from '../org-runtime.js';
import { RUN_CANCEL_CHANNEL, RUN_EVENTS_CHANNEL } from '../run-channels.js';
import { RunExecutor } from '../run-executor.js';
import type { LaunchRequest } from '../run-launcher.port.js';
import { RUN_SLOTS, type RunSlots } from '../run-slots.js';
import { failedEnd, runStore, type RunEnd } from '../run-store.js';
import { LocalRuns } from './local-runs.js';
import { launchContext } from './queue-run-launcher.js';
import { RunQueue, type RunJob } from './run-queue.js';

const STOPPED = 'The worker stopped before the run finished';
const UNOPENABLE = 'The run could not be started on this worker (its launch data could not be opened)';
/** Queued runs older than this with no job (Redis lost it) are queued again by the sweep. */
const REQUEUE_AFTER_MS = 5000;
/** How long a job whose org is at its limit waits at most before it is tried again (normally it is woken sooner). */
const PARKED_MS = 10_000;

/**
 * The worker side of the run queue (`TENANTFLOW_MODE=worker`): takes jobs, takes an org slot across all workers (an
 * org at its limit has its job put back for a moment, so other orgs' runs go on), claims the queued run (exactly one
 * worker can), executes it, records its end and publishes the answer for a waiting API process. Shutting down stops
 * taking jobs and lets the runs in progress finish within the shutdown timeout; runs still going then end `failed`
 * with a reason. Also re-queues queued runs whose job was lost.
 */
@Injectable()
export class RunWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private started = false;
  /** Runs whose claim failed without an answer: only these may be claimed again while `running` under this worker. */
  private readonly inDoubt = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    private readonly config: AppConfig,
    private readonly db: Database,
    private readonly orgs: OrgRuntimeCache,
    private readonly executor: RunExecutor,
    private readonly queue: RunQueue,
    private readonly local: LocalRuns,
    private readonly box: SecretBox,
    private readonly bus: ClusterBus,
    @Inject(RUN_SLOTS) private readonly slots: RunSlots,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly tracing: Tracing,
    private readonly metrics: Metrics,
  ) {
    bus.subscribe(RUN_CANCEL_CHANNEL, (runId) => this.local.abort(runId));
  }

  private wait?: Histogram<never>;

  /** Queue depth by state (read from Redis at scrape time) and how long jobs waited before a worker took them. */
  private observeQueue(): void {
    this.metrics.gauge(
      'tenantflow_queue_jobs',
      'Run queue jobs by state (waiting includes prioritized; delayed: their org at its concurrency limit).',
      ['state'],
      async (g) => {
        const c = await this.queue.counts();
        for (const [state, n] of Object.entries(c)) g.set({ state }, n);
      },
    );
    this.wait = this.metrics.histogram(
      'tenantflow_queue_wait_seconds',
      'Time from queueing a run to a worker taking it.',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
  }

  onApplicationBootstrap(): void {
    if (!this.background || this.config.get('TENANTFLOW_MODE') !== 'worker') return;
    this.started = true;
    this.observeQueue();
    this.queue.startWorker(
      (job, token) => this.tracing.withTraceContext(job.data.trace, () => this.process(job, token)),
      this.config.get('TENANTFLOW_WORKER_CONCURRENCY'),
      (e) => this.log.warn({ err: e.message }, 'run queue worker error'),
    );
    this.sweepTimer = setInterval(() => void this.requeueLost(), this.config.get('TENANTFLOW_RECOVERY_INTERVAL'));
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (!this.started) return this.queue.close();
    // Stop taking jobs; the runs in progress get the shutdown timeout to finish, then are stopped.
    const timer = setTimeout(() => this.local.abortAll(), this.config.get('TENANTFLOW_SHUTDOWN_TIMEOUT'));
    await this.queue.close();
    clearTimeout(timer);
  }

  private async process(job: RunJob, token?: string): Promise<void> {
    const { runId, orgId } = job.data;
    const org = await this.orgs.get(orgId);
    const limit = org?.limits.maxConcurrent ?? this.config.get('TENANTFLOW_RUN_MAX_CONCURRENT');
    const release = org?.active ? await this.slots.tryAcquire(orgId, limit) : () => undefined;
    if (!release) {
      // The org is at its concurrency limit across all workers: the job is parked until one of the org's runs ends
      // (10 s at most); other orgs' jobs go on meanwhile.
      await this.queue.park(job, token, PARKED_MS + Math.floor(Math.random() * 1000));
      throw new DelayedError();
    }
    this.wait?.observe((Date.now() - job.timestamp) / 1000);
    try {
      // A job delivered again while its run executes here (a lock lost to a long pause) is already being served.
      if (this.local.get(runId)) return;
      const sealed = await this.db
        .withOrg(orgId, (em) => runStore.claim(em, orgId, runId, this.instanceId, this.inDoubt.has(runId)))
        .catch((e: unknown) => {
          // The claim may have committed without our hearing it: this worker may take the run again (the job is
          // retried, or the sweep re-queues it), and nobody else can.
          if (this.inDoubt.size > 100_000) this.inDoubt.clear();
          this.inDoubt.add(runId);
          throw e;
        });
      this.inDoubt.delete(runId);
      await this.queue.release(orgId);
      if (sealed === undefined) return; // taken by another worker, cancelled, or ended by run recovery
      let req: LaunchRequest;
      try {
        req = JSON.parse(this.box.open(sealed, launchContext(orgId, runId))) as LaunchRequest;
      } catch (e) {
        // Never left `running`: a launch sealed under another master key (processes configured with different
        // TENANTFLOW_ENCRYPTION_KEY values) or altered cannot start.
        this.log.error({ err: (e as Error).message, runId }, 'a queued run could not be opened');
        await this.executor.finish(orgId, runId, failedEnd(UNOPENABLE));
        return void this.bus.publish(RUN_EVENTS_CHANNEL, { runId, kind: 'finished' });
      }
      if (!org?.active) return this.end(orgId, runId, req, failedEnd('The organization cannot run flows'));
      const controller = new AbortController();
      this.local.add(
        runId,
        {
          orgId,
          projectId: req.flow.projectId,
          flowId: req.flow.flowId,
          version: req.flow.version,
          triggerType: req.triggerType,
          startedAt: new Date(),
          recorded: true,
        },
        controller,
      );
      try {
        const onRespond = req.awaited
          ? (response: NonNullable<RunOutcome['response']>) =>
              void this.bus.publish(RUN_EVENTS_CHANNEL, { runId, kind: 'responded', response })
          : undefined;
        const { outcome, end } = await this.executor.execute(
          { id: runId, orgId, projectId: req.flow.projectId, flowId: req.flow.flowId },
          req,
          this.executor.limitsFor(org),
          org.egressAllowlist,
          controller.signal,
          onRespond,
        );
        if (
          controller.signal.aborted &&
          outcome.status === 'cancelled' &&
          !(await this.cancelledByUser(orgId, runId))
        ) {
          // Stopped by the shutdown timeout, not by a user.
          end.status = outcome.status = 'failed';
          end.error = outcome.error = { type: 'node_error', message: STOPPED };
        }
        await this.end(orgId, runId, req, end, outcome);
      } finally {
        this.local.delete(runId);
      }
    } finally {
      release();
      // A slot of the org is free: wake its oldest parked job.
      if (org?.active) await this.queue.unpark(orgId).catch(() => undefined);
    }
  }

  private async end(
    orgId: string,
    runId: string,
    req: LaunchRequest,
    end: RunEnd,
    outcome?: RunOutcome,
  ): Promise<void> {
    await this.executor.finish(orgId, runId, end);
    if (!req.awaited) return;
    const { steps: _steps, ...rest } = outcome ?? { ...end, steps: [] };
    await this.bus.publish(RUN_EVENTS_CHANNEL, { runId, kind: 'finished', outcome: { ...rest, steps: [] } });
  }

  private async cancelledByUser(orgId: string, runId: string): Promise<boolean> {
    const row = await this.db.withOrg(orgId, (em) => runStore.get(em, orgId, runId)).catch(() => null);
    return row?.status === 'cancelled';
  }

  /**
   * Queued runs whose job is gone (Redis restarted without persistence) are queued again, and so are runs whose claim
   * by this worker failed without an answer (in doubt) and never started; a present job is kept. A run that started is
   * never queued again, even if its end could not be written (run recovery ends it).
   */
  async requeueLost(): Promise<number> {
    try {
      const q = executionSystemQueries(this.db);
      const lost = [
        ...(await q.queuedRuns(REQUEUE_AFTER_MS, 1000)),
        ...(await q.claimedNotStarted(this.instanceId, REQUEUE_AFTER_MS)).filter(
          (r) => this.inDoubt.has(r.id) && !this.local.get(r.id),
        ),
      ];
      for (const r of lost) await this.queue.add({ runId: r.id, orgId: r.org_id }, 1);
      return lost.length;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 're-queue sweep failed; will retry');
      return 0;
    }
  }
}
