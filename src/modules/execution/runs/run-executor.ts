import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { isUnavailableError } from '../../../core/errors/unavailable.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { ENGINE } from '../execution.tokens.js';
import { FlowEngine } from '../engine/flow-engine.js';
import type { RespondOutput } from '../engine/nodes/node-executor.js';
import { storedValue, Redactor } from '../engine/redaction.js';
import type { RunLimits, RunOutcome } from '../engine/run-types.js';
import { RunTelemetry } from '../telemetry/run-telemetry.js';
import { fastUuidv7 as uuidv7 } from './ids.js';
import type { OrgRuntimeInfo } from './org-runtime.js';
import type { LaunchRequest } from './run-launcher.port.js';
import { failedEnd, runStore, type NewRun, type RunEnd } from './run-store.js';

/** How long the end of a durable run is retried while PostgreSQL is unreachable (a restart, a failover). */
const FINISH_RETRY_MS = 120_000;

/**
 * What every launcher does with a run, wherever it executes: the run's limits from the org and the server settings,
 * its first record, the engine call, and its end. The in-process launcher and the queue worker share it.
 */
@Injectable()
export class RunExecutor {
  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    @Inject(ENGINE) private readonly engine: FlowEngine,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly telemetry: RunTelemetry,
  ) {}

  limitsFor(org: OrgRuntimeInfo): RunLimits {
    const c = this.config;
    return {
      maxSteps: org.limits.maxSteps ?? c.get('TENANTFLOW_RUN_MAX_STEPS'),
      maxDurationMs: org.limits.maxDurationMs ?? c.get('TENANTFLOW_RUN_MAX_DURATION'),
      stepOutputMaxBytes: c.get('TENANTFLOW_STEP_OUTPUT_LIMIT'),
      nodeTimeoutMs: 60_000,
      sandbox: { timeoutMs: c.get('TENANTFLOW_SANDBOX_TIMEOUT'), memoryMb: c.get('TENANTFLOW_SANDBOX_MEMORY_MB') },
    };
  }

  /** The run's first record (input redacted of known secrets and bounded like a step output). */
  newRun(req: LaunchRequest, status: NewRun['status'], instanceId: string): NewRun {
    const now = new Date();
    const redactor = new Redactor();
    for (const s of req.knownSecrets ?? []) redactor.add(s);
    return {
      id: uuidv7(),
      orgId: req.flow.orgId,
      projectId: req.flow.projectId,
      flowId: req.flow.flowId,
      flowVersion: req.flow.version === 'draft' ? null : req.flow.version,
      triggerType: req.triggerType,
      status,
      input: storedValue(req.storedInput, redactor, this.config.get('TENANTFLOW_STEP_OUTPUT_LIMIT')),
      idempotencyKey: req.idempotencyKey ?? null,
      requestHash: req.requestHash ?? null,
      instanceId,
      createdByType: req.createdBy?.type ?? null,
      createdById: req.createdBy?.id ?? null,
      createdAt: now,
      startedAt: status === 'running' ? now : null,
    };
  }

  /**
   * Writes a durable run: `running`, or `queued` with its sealed launch data. A manual run a principal started is
   * audited in the same transaction.
   */
  insert(run: NewRun, req: LaunchRequest, launch?: string): Promise<void> {
    return this.db.withOrg(run.orgId, async (em) => {
      if (launch === undefined) await runStore.insert(em, run);
      else await runStore.insertQueued(em, run, launch);
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

  /** Executes the run on the engine; the outcome's output obeys the step output limit wherever it goes. */
  async execute(
    run: Pick<NewRun, 'id' | 'orgId' | 'projectId' | 'flowId'>,
    req: LaunchRequest,
    limits: RunLimits,
    allowlist: string[],
    signal: AbortSignal,
    onRespond?: (r: RespondOutput) => void,
  ): Promise<{ outcome: RunOutcome; end: RunEnd }> {
    let end: RunEnd | undefined;
    const tracked = { id: run.id, orgId: run.orgId, flowId: run.flowId, triggerType: req.triggerType };
    // One `run` span (a child of the request or job that launched it) and the run counters, wherever it executes.
    const outcome = await this.telemetry.track(tracked, async () => {
      try {
        const r = await this.executeOnEngine(run, req, limits, allowlist, signal, onRespond);
        end = r.end;
        return r.outcome;
      } catch (e) {
        // The engine reports a run's failures as its outcome; anything thrown is a fault of ours. The run still ends
        // (`failed`), so it is never left `running`.
        // Its type only: a fault inside a run may carry the run's data (resolved secrets) in its message.
        this.log.error({ type: (e as Error)?.constructor?.name ?? typeof e, runId: run.id }, 'run failed unexpectedly');
        end = failedEnd('The run failed unexpectedly');
        return { ...end };
      }
    });
    return { outcome, end: end! };
  }

  private async executeOnEngine(
    run: Pick<NewRun, 'id' | 'orgId' | 'projectId' | 'flowId'>,
    req: LaunchRequest,
    limits: RunLimits,
    allowlist: string[],
    signal: AbortSignal,
    onRespond?: (r: RespondOutput) => void,
  ): Promise<{ outcome: RunOutcome; end: RunEnd }> {
    const engineOutcome = await this.engine.execute({
      runId: run.id,
      orgId: run.orgId,
      projectId: run.projectId,
      flowId: run.flowId,
      version: req.flow.version,
      definition: req.flow.definition,
      trigger: req.trigger,
      limits,
      signal,
      egressAllowlist: allowlist,
      knownSecrets: req.knownSecrets,
      onRespond,
    });
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
    return { outcome, end };
  }

  /**
   * Records the end of a durable run. Retried while the database is unreachable (up to two minutes), so a run that
   * finished during a PostgreSQL restart is not left `running`; logged when it still cannot be written.
   */
  async finish(orgId: string, runId: string, end: RunEnd): Promise<void> {
    const deadline = Date.now() + FINISH_RETRY_MS;
    let otherErrors = 0;
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.db.withOrg(orgId, (em) => runStore.finish(em, orgId, runId, end));
        return;
      } catch (e) {
        // An outage is waited out; any other error is retried a few times (a connection error can look like one).
        if (!isUnavailableError(e)) otherErrors++;
        if (Date.now() + delay > deadline || otherErrors > 3) {
          this.log.error({ err: (e as Error).message, runId }, 'could not record the end of a run');
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
