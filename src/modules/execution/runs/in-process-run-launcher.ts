import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { ExecutionException } from '../execution.exception.js';
import { ENGINE } from '../execution.tokens.js';
import { FlowEngine } from '../engine/flow-engine.js';
import { RunTelemetry } from '../telemetry/run-telemetry.js';
import { storedValue, Redactor } from '../engine/redaction.js';
import type { RunLimits, RunOutcome } from '../engine/run-types.js';
import { fastUuidv7 as uuidv7 } from './ids.js';
import { INSTANCE_ID } from './instance.js';
import { OrgRuntimeCache, type OrgRuntimeInfo } from './org-runtime.js';
import { RUN_CANCEL_CHANNEL } from './run-channels.js';
import type { ActiveRunInfo, AwaitedRun, LaunchRequest, RunLauncher } from './run-launcher.port.js';
import { RUN_SLOTS, type RunSlots } from './run-slots.js';
import { runStore, type NewRun, type RunEnd } from './run-store.js';
import { RunWaiters } from './run-waiters.js';
import { RunWriter } from './run-writer.js';

interface ActiveRun extends ActiveRunInfo {
  controller: AbortController;
  done: Promise<RunOutcome>;
}

/**
 * The run launcher that executes runs in this process: takes an org slot, writes the run (now or at the end),
 * executes it on the engine, records the outcome. Its runs in progress are private state (cancellation,
 * recovery and run reads go through the RunLauncher port); a run's `respond` answer and end reach waiting
 * callers by direct call, the fast path of `/hooks`.
 */
@Injectable()
export class InProcessRunLauncher implements RunLauncher, OnModuleDestroy {
  private readonly active = new Map<string, ActiveRun>();
  private readonly waiters = new RunWaiters();

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    private readonly writer: RunWriter,
    private readonly orgs: OrgRuntimeCache,
    @Inject(RUN_SLOTS) private readonly slots: RunSlots,
    @Inject(ENGINE) private readonly engine: FlowEngine,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: ClusterBus,
    private readonly telemetry: RunTelemetry,
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
      const limits = this.limitsFor(org);
      const now = new Date();
      const redactor = new Redactor();
      for (const s of req.knownSecrets ?? []) redactor.add(s);
      const run: NewRun = {
        id: uuidv7(),
        orgId: req.flow.orgId,
        projectId: req.flow.projectId,
        flowId: req.flow.flowId,
        flowVersion: req.flow.version === 'draft' ? null : req.flow.version,
        triggerType: req.triggerType,
        status: 'running',
        input: storedValue(req.storedInput, redactor, limits.stepOutputMaxBytes),
        idempotencyKey: req.idempotencyKey ?? null,
        requestHash: req.requestHash ?? null,
        instanceId: this.instanceId,
        createdByType: req.createdBy?.type ?? null,
        createdById: req.createdBy?.id ?? null,
        createdAt: now,
        startedAt: now,
      };
      if (req.durable) await this.insertRunning(run, req);
      if (req.awaited) this.waiters.expect(run.id);
      const controller = new AbortController();
      const execute = () => this.execute(run, req, limits, org.egressAllowlist, controller);
      const done = this.telemetry.track(run, execute).finally(() => {
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
        startedAt: now,
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

  private limitsFor(org: OrgRuntimeInfo): RunLimits {
    const c = this.config;
    return {
      maxSteps: org.limits.maxSteps ?? c.get('TENANTFLOW_RUN_MAX_STEPS'),
      maxDurationMs: org.limits.maxDurationMs ?? c.get('TENANTFLOW_RUN_MAX_DURATION'),
      stepOutputMaxBytes: c.get('TENANTFLOW_STEP_OUTPUT_LIMIT'),
      nodeTimeoutMs: 60_000,
      sandbox: { timeoutMs: c.get('TENANTFLOW_SANDBOX_TIMEOUT'), memoryMb: c.get('TENANTFLOW_SANDBOX_MEMORY_MB') },
    };
  }

  private insertRunning(run: NewRun, req: LaunchRequest): Promise<void> {
    return this.db.withOrg(run.orgId, async (em) => {
      await runStore.insert(em, run);
      // Runs a principal started are audited; webhook and schedule runs are data-plane traffic kept in run history.
      if (req.createdBy && req.triggerType === 'manual') {
        await this.events.publish(em, {
          action: 'run.started',
          orgId: run.orgId,
          resourceType: 'run',
          resourceId: run.id,
          metadata: { flowId: run.flowId, version: run.flowVersion ?? 'draft', trigger: req.triggerType },
        });
      }
    });
  }

  private async execute(
    run: NewRun,
    req: LaunchRequest,
    limits: RunLimits,
    allowlist: string[],
    controller: AbortController,
  ): Promise<RunOutcome> {
    const engineOutcome = await this.engine.execute({
      runId: run.id,
      orgId: run.orgId,
      projectId: run.projectId,
      flowId: run.flowId,
      version: req.flow.version,
      definition: req.flow.definition,
      trigger: req.trigger,
      limits,
      signal: controller.signal,
      egressAllowlist: allowlist,
      knownSecrets: req.knownSecrets,
      onRespond: req.awaited ? (r) => this.waiters.responded(run.id, r) : undefined,
    });
    // The run's output obeys the step output limit wherever it goes (record, API answer): a truncated preview past it.
    const outcome = {
      ...engineOutcome,
      output: storedValue(engineOutcome.output, new Redactor(), limits.stepOutputMaxBytes),
    };
    const end: RunEnd = {
      status: outcome.status,
      output: outcome.output,
      error: outcome.error,
      steps: outcome.steps,
      startedAt: outcome.startedAt,
      finishedAt: outcome.finishedAt,
    };
    if (req.durable) {
      await this.db
        .withOrg(run.orgId, (em) => runStore.finish(em, run.orgId, run.id, end))
        .catch((e: Error) => this.log.error({ err: e.message, runId: run.id }, 'could not record the end of a run'));
    } else {
      this.writer.enqueue(run, end);
    }
    return outcome;
  }
}
