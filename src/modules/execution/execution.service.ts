import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../core/config/app-config.js';
import { fastUuidv7 as uuidv7 } from './runs/ids.js';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { LOGGER } from '../../core/logging/logger.js';
import type { RunnableFlow } from './definition/flow-source.port.js';
import { ExecutionException } from './execution.exception.js';
import { FlowEngine } from './engine/flow-engine.js';
import type { RespondOutput } from './engine/nodes/node-executor.js';
import { storedValue, Redactor } from './engine/redaction.js';
import type { RunLimits, RunOutcome, TriggerPayload } from './engine/run-types.js';
import { OrgRuntimeCache } from './runs/org-runtime.js';
import { InProcessRunSlots, type RunSlots } from './runs/run-slots.js';
import { runStore, type NewRun, type RunEnd } from './runs/run-store.js';
import { RunWriter } from './runs/run-writer.js';
import { ENGINE } from './execution.tokens.js';
import { INSTANCE_ID, RUN_CANCEL_CHANNEL } from './runs/instance.js';

export interface StartRunRequest {
  flow: RunnableFlow;
  trigger: TriggerPayload;
  triggerType: 'webhook' | 'manual' | 'schedule';
  /** What is stored as the run's input (already stripped of credentials). */
  storedInput: unknown;
  /** Durable runs are written as `running` before they start (manual, accepted webhooks, schedules); others at the end. */
  durable: boolean;
  idempotencyKey?: string;
  requestHash?: string;
  createdBy?: { type: string; id: string | null };
  /** Secret values known before the run (webhook auth secrets): redacted from everything recorded. */
  knownSecrets?: string[];
  onRespond?(r: RespondOutput): void;
}

export interface StartedRun {
  runId: string;
  done: Promise<RunOutcome>;
}

export interface ActiveRun {
  orgId: string;
  projectId: string;
  flowId: string;
  version: number | 'draft';
  triggerType: StartRunRequest['triggerType'];
  controller: AbortController;
  done: Promise<RunOutcome>;
  startedAt: Date;
}

/**
 * Starts runs: takes an org slot, writes the run (now or at the end), executes it on the engine, records the
 * outcome. Keeps the runs of this process in a registry for cancellation and crash recovery.
 */
@Injectable()
export class ExecutionService implements OnModuleDestroy {
  readonly writer: RunWriter;
  readonly orgs: OrgRuntimeCache;
  private readonly slots: RunSlots = new InProcessRunSlots();
  private readonly active = new Map<string, ActiveRun>();

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    @Inject(ENGINE) private readonly engine: FlowEngine,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.writer = new RunWriter(db, log);
    this.orgs = new OrgRuntimeCache(db);
  }

  async onModuleDestroy(): Promise<void> {
    for (const run of this.active.values()) run.controller.abort();
    await Promise.allSettled([...this.active.values()].map((r) => r.done));
    await this.writer.flush();
  }

  getActive(runId: string): ActiveRun | undefined {
    return this.active.get(runId);
  }

  /** Cancels a run of this process; false when it does not run here. */
  cancelLocal(runId: string): boolean {
    const run = this.active.get(runId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  /** Asks every instance to cancel a run (the one executing it aborts; see RunRecovery). */
  async notifyCancel(runId: string): Promise<void> {
    await this.db.system.query(`SELECT pg_notify($1, $2)`, [RUN_CANCEL_CHANNEL, runId]).catch((e: Error) => this.log.warn({ err: e.message }, 'could not broadcast a cancellation'));
  }

  /** Ids of the runs this process is executing. */
  activeIds(): string[] {
    return [...this.active.keys()];
  }

  limitsFor(org: { limits: { maxSteps?: number; maxDurationMs?: number } }): RunLimits {
    const c = this.config;
    return {
      maxSteps: org.limits.maxSteps ?? c.get('TENANTFLOW_RUN_MAX_STEPS'),
      maxDurationMs: org.limits.maxDurationMs ?? c.get('TENANTFLOW_RUN_MAX_DURATION'),
      stepOutputMaxBytes: c.get('TENANTFLOW_STEP_OUTPUT_LIMIT'),
      nodeTimeoutMs: 60_000,
      sandbox: { timeoutMs: c.get('TENANTFLOW_SANDBOX_TIMEOUT'), memoryMb: c.get('TENANTFLOW_SANDBOX_MEMORY_MB') },
    };
  }

  async start(req: StartRunRequest): Promise<StartedRun> {
    const org = await this.orgs.get(req.flow.orgId);
    if (!org?.active) throw new ExecutionException('flow_not_runnable', 'The organization cannot run flows');
    const release = await this.slots.tryAcquire(req.flow.orgId, org.limits.maxConcurrent ?? this.config.get('TENANTFLOW_RUN_MAX_CONCURRENT'));
    if (!release) throw new ExecutionException('run_limit_reached', 'Too many runs in progress for this organization; retry later', { headers: { 'Retry-After': '1' } });
    try {
      const limits = this.limitsFor(org);
      const now = new Date();
      const redactor = new Redactor();
      for (const s of req.knownSecrets ?? []) redactor.add(s);
      const run: NewRun = {
        id: uuidv7(), orgId: req.flow.orgId, projectId: req.flow.projectId, flowId: req.flow.flowId,
        flowVersion: req.flow.version === 'draft' ? null : req.flow.version, triggerType: req.triggerType, status: 'running',
        input: storedValue(req.storedInput, redactor, limits.stepOutputMaxBytes), idempotencyKey: req.idempotencyKey ?? null,
        requestHash: req.requestHash ?? null, instanceId: this.instanceId, createdByType: req.createdBy?.type ?? null,
        createdById: req.createdBy?.id ?? null, createdAt: now, startedAt: now,
      };
      if (req.durable) await this.insertRunning(run, req);
      const controller = new AbortController();
      const done = this.execute(run, req, limits, org.egressAllowlist, controller).finally(() => {
        release();
        this.active.delete(run.id);
      });
      this.active.set(run.id, { orgId: run.orgId, projectId: run.projectId, flowId: run.flowId, version: req.flow.version, triggerType: req.triggerType, controller, done, startedAt: now });
      return { runId: run.id, done };
    } catch (e) {
      release();
      throw e;
    }
  }

  private insertRunning(run: NewRun, req: StartRunRequest): Promise<void> {
    return this.db.withOrg(run.orgId, async (em) => {
      await runStore.insert(em, run);
      // Runs a principal started are audited; webhook and schedule runs are data-plane traffic kept in run history.
      if (req.createdBy && req.triggerType === 'manual') {
        await this.events.publish(em, {
          action: 'run.started', orgId: run.orgId, resourceType: 'run', resourceId: run.id,
          metadata: { flowId: run.flowId, version: run.flowVersion ?? 'draft', trigger: req.triggerType },
        });
      }
    });
  }

  private async execute(run: NewRun, req: StartRunRequest, limits: RunLimits, allowlist: string[], controller: AbortController): Promise<RunOutcome> {
    const outcome = await this.engine.execute({
      runId: run.id, orgId: run.orgId, projectId: run.projectId, flowId: run.flowId, version: req.flow.version, definition: req.flow.definition,
      trigger: req.trigger, limits, signal: controller.signal, egressAllowlist: allowlist, onRespond: req.onRespond,
      knownSecrets: req.knownSecrets,
    });
    const end: RunEnd = { status: outcome.status, output: outcome.output, error: outcome.error, steps: outcome.steps, startedAt: outcome.startedAt, finishedAt: outcome.finishedAt };
    if (req.durable) {
      await this.db.withOrg(run.orgId, (em) => runStore.finish(em, run.orgId, run.id, end)).catch((e: Error) =>
        this.log.error({ err: e.message, runId: run.id }, 'could not record the end of a run'),
      );
    } else {
      this.writer.enqueue(run, end);
    }
    return outcome;
  }
}
