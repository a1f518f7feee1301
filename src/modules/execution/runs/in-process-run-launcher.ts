import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { AppConfig } from '../../../core/config/app-config.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { ExecutionException } from '../execution.exception.js';
import type { RunOutcome } from '../engine/run-types.js';
import { INSTANCE_ID } from './instance.js';
import { OrgRuntimeCache } from './org-runtime.js';
import { RunAdmission } from './run-admission.js';
import { RUN_CANCEL_CHANNEL } from './run-channels.js';
import { RunExecutor } from './run-executor.js';
import type { ActiveRunInfo, AwaitedRun, LaunchRequest, RunLauncher } from './run-launcher.port.js';
import { RUN_SLOTS, type RunSlots } from './run-slots.js';
import { RunWaiters } from './run-waiters.js';
import { RunWriter } from './run-writer.js';

interface ActiveRun extends ActiveRunInfo {
  controller: AbortController;
  done: Promise<RunOutcome>;
}

/**
 * The run launcher that executes runs in this process (`TENANTFLOW_MODE=all`): takes an org slot, writes the run
 * (now or at the end), executes it on the engine, records the outcome. Its runs in progress are private state
 * (cancellation, recovery and run reads go through the RunLauncher port); a run's `respond` answer and end reach
 * waiting callers by direct call, the fast path of `/hooks`.
 */
@Injectable()
export class InProcessRunLauncher implements RunLauncher, OnModuleDestroy {
  private readonly active = new Map<string, ActiveRun>();
  private readonly waiters = new RunWaiters();

  constructor(
    private readonly config: AppConfig,
    private readonly writer: RunWriter,
    private readonly orgs: OrgRuntimeCache,
    private readonly admission: RunAdmission,
    private readonly executor: RunExecutor,
    @Inject(RUN_SLOTS) private readonly slots: RunSlots,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: ClusterBus,
  ) {
    bus.subscribe(RUN_CANCEL_CHANNEL, (runId) => this.active.get(runId)?.controller.abort());
  }

  async onModuleDestroy(): Promise<void> {
    for (const run of this.active.values()) run.controller.abort();
    await Promise.allSettled([...this.active.values()].map((r) => r.done));
    await this.writer.flush();
  }

  async launch(req: LaunchRequest): Promise<{ runId: string }> {
    const org = await this.orgs.get(req.flow.orgId);
    if (!org?.active) throw new ExecutionException('flow_not_runnable', 'The organization cannot run flows');
    await this.admission.admit(req.flow.orgId, org);
    const release = await this.slots.tryAcquire(
      req.flow.orgId,
      org.limits.maxConcurrent ?? this.config.get('TENANTFLOW_RUN_MAX_CONCURRENT'),
    );
    if (!release)
      throw new ExecutionException(
        'run_limit_reached',
        'Too many runs in progress for this organization; retry later',
        { headers: { 'Retry-After': '1' } },
      );
    try {
      const limits = this.executor.limitsFor(org);
      const run = this.executor.newRun(req, 'running', this.instanceId);
      if (req.durable) await this.executor.insert(run, req);
      if (req.awaited) this.waiters.expect(run.id);
      const controller = new AbortController();
      const onRespond = req.awaited
        ? (r: Parameters<RunWaiters['responded']>[1]) => this.waiters.responded(run.id, r)
        : undefined;
      const done = this.executor
        .execute(run, req, limits, org.egressAllowlist, controller.signal, onRespond)
        .then(async ({ outcome, end }) => {
          if (req.durable) await this.executor.finish(run.orgId, run.id, end);
          else this.writer.enqueue(run, end);
          return outcome;
        })
        .finally(() => {
          release();
          this.active.delete(run.id);
        });
      // The waiting caller hears of the end once the slot is free again (it may launch the next run at once).
      if (req.awaited) {
        done.then(
          (outcome) => this.waiters.finished(run.id, outcome),
          (e: Error) => this.log.error({ err: e.message, runId: run.id }, 'run failed unexpectedly'),
        );
      }
      this.active.set(run.id, {
        orgId: run.orgId,
        projectId: run.projectId,
        flowId: run.flowId,
        version: req.flow.version,
        triggerType: req.triggerType,
        startedAt: run.createdAt,
        recorded: req.durable,
        controller,
        done,
      });
      return { runId: run.id };
    } catch (e) {
      release();
      throw e;
    }
  }

  awaitOutcome(runId: string, opts: { timeoutMs: number; untilRespond?: boolean }): Promise<AwaitedRun> {
    const awaited = this.waiters.wait(runId, opts);
    if (awaited) return awaited;
    // Not launched as awaited: its end if it still runs here (a respond answer before now is not kept).
    const run = this.active.get(runId);
    if (!run) return Promise.resolve({ kind: 'timeout' });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<AwaitedRun>(
      (resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.timeoutMs)),
    );
    const finished = run.done.then((outcome): AwaitedRun => ({ kind: 'finished', outcome }));
    return Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
  }

  async cancel(orgId: string, runId: string): Promise<'stopped' | 'signalled'> {
    const run = this.active.get(runId);
    if (!run || run.orgId !== orgId) {
      await this.bus.publish(RUN_CANCEL_CHANNEL, runId);
      return 'signalled';
    }
    run.controller.abort();
    await run.done;
    if (this.writer.has(runId)) await this.writer.flush();
    return 'stopped';
  }

  async isActive(runId: string): Promise<ActiveRunInfo | null> {
    const run = this.active.get(runId);
    if (!run) return null;
    const { orgId, projectId, flowId, version, triggerType, startedAt, recorded } = run;
    return { orgId, projectId, flowId, version, triggerType, startedAt, recorded };
  }
}
