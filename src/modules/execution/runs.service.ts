import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FindOptionsWhere } from 'typeorm';
import { AppConfig } from '../../core/config/app-config.js';
import type { Principal } from '../../core/context/request-context.js';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { TenantScopedRepository, type OrgScope } from '../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageQueryDto } from '../../core/http/pagination.js';
import { canOn } from '../../core/http/policies.js';
import { CommonException } from '../../core/errors/app.exception.js';
import { FLOW_SOURCE, type FlowSource } from './definition/flow-source.port.js';
import type { CreateRunDto, CreatedRunDto, RunDetailDto, RunSummaryDto } from './dto/run.dto.js';
import { ExecutionException } from './execution.exception.js';
import { FlowsException } from '../flows/index.js';
import { RUN_LAUNCHER, type ActiveRunInfo, type RunLauncher } from './runs/run-launcher.port.js';
import { RunEntity, StepRunEntity } from './runs/run.entity.js';
import { runStore } from './runs/run-store.js';
import { RunWriter } from './runs/run-writer.js';

const runs = new TenantScopedRepository(RunEntity);
const notFound = () => new ExecutionException('run_not_found', 'Run not found');
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';

/** Manual runs (with Idempotency-Key), run history and cancellation. */
@Injectable()
export class RunsService {
  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    private readonly writer: RunWriter,
    @Inject(FLOW_SOURCE) private readonly flows: FlowSource,
  ) {}

  async createManual(
    orgId: string,
    flowId: string,
    dto: CreateRunDto,
    principal: Principal,
    idempotencyKey?: string,
  ): Promise<CreatedRunDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
      throw new CommonException('validation_failed', 'The request is invalid', {
        errors: [{ path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
      });
    }
    const requestHash = createHash('sha256')
      .update(JSON.stringify([dto.input ?? null, dto.version ?? null, dto.wait ?? false]))
      .digest('base64url');
    if (idempotencyKey) {
      const previous = await this.replay(orgId, flowId, idempotencyKey, requestHash);
      if (previous) return previous;
    }
    const version = dto.version;
    const flow = await this.flows.getRunnableDefinition(orgId, flowId, version, {
      authorize: version === 'draft' ? ['run', 'update'] : ['run'],
    });
    let started;
    try {
      started = await this.launcher.launch({
        flow,
        trigger: { type: 'manual', input: dto.input ?? null },
        triggerType: 'manual',
        storedInput: { input: dto.input ?? null },
        durable: true,
        awaited: dto.wait === true,
        idempotencyKey,
        requestHash,
        createdBy: { type: principal.type, id: principal.id },
      });
    } catch (e) {
      // Two requests with the same key at once: the second finds the first's run.
      if (idempotencyKey && isUniqueViolation(e))
        return (await this.replay(orgId, flowId, idempotencyKey, requestHash))!;
      throw e;
    }
    if (!dto.wait) return { runId: started.runId, status: 'running' };
    const waited = await this.launcher.awaitOutcome(started.runId, {
      timeoutMs: this.config.get('TENANTFLOW_WEBHOOK_WAIT_TIMEOUT'),
    });
    if (waited.kind !== 'finished') return { runId: started.runId, status: 'running' };
    const { outcome } = waited;
    return { runId: started.runId, status: outcome.status, output: outcome.output, error: outcome.error };
  }

  private async replay(orgId: string, flowId: string, key: string, hash: string): Promise<CreatedRunDto | null> {
    if (!UUID_RE.test(flowId)) return null;
    const row = await this.db.withOrg(orgId, (em) => runStore.findByIdempotencyKey(em, orgId, flowId, key));
    if (!row) return null;
    if (!canOn('read', 'Run', { orgId, projectId: row.projectId, flowId })) throw notFound();
    if (row.requestHash !== hash)
      throw new ExecutionException('idempotency_key_reused', 'This Idempotency-Key was used with a different request');
    return { runId: row.id, status: row.status, output: row.output ?? undefined, error: errorOf(row) };
  }

  /**
   * Newest first. `filter` are the caller's ability conditions on runs (`[]`: nothing visible). A flow that does not
   * exist in the org answers 404 like `GET /flows/:flowId`.
   */
  async list(
    orgId: string,
    flowId: string,
    q: PageQueryDto,
    filter?: FindOptionsWhere<RunEntity>[],
  ): Promise<Page<RunSummaryDto>> {
    const limit = pageLimit(q);
    const before = decodeCursor(q.cursor);
    if (!(await this.flows.flowExists(orgId, flowId))) throw new FlowsException('flow_not_found', 'Flow not found');
    if (filter && filter.length === 0) return { items: [], nextCursor: null };
    await this.writer.flush();
    const where = (filter ?? [{}]).map((f) => ({ ...f, orgId, flowId }) as FindOptionsWhere<RunEntity> & OrgScope);
    return this.db.withOrg(orgId, async (em) =>
      toPage(await runs.page(em, where, limit, before), limit, (r) => summary(r)),
    );
  }

  async get(orgId: string, runId: string): Promise<RunDetailDto> {
    if (!UUID_RE.test(runId)) throw notFound();
    if (this.writer.has(runId)) await this.writer.flush();
    const found = await this.db.withOrg(orgId, async (em) => {
      const row = await runStore.get(em, orgId, runId);
      return row ? { row, steps: await runStore.steps(em, orgId, runId) } : null;
    });
    if (!found) return this.activeOnly(orgId, runId, await this.launcher.isActive(runId));
    if (!canOn('read', 'Run', { orgId, projectId: found.row.projectId, flowId: found.row.flowId })) throw notFound();
    return {
      ...summary(found.row),
      input: found.row.input ?? undefined,
      output: found.row.output ?? undefined,
      steps: found.steps.map(step),
    };
  }

  /** A synchronous run in progress exists only in this process until it ends (it is written then). */
  private activeOnly(orgId: string, runId: string, a: ActiveRunInfo | null): RunDetailDto {
    if (!a || a.orgId !== orgId || !canOn('read', 'Run', { orgId, projectId: a.projectId, flowId: a.flowId }))
      throw notFound();
    return {
      id: runId,
      flowId: a.flowId,
      projectId: a.projectId,
      version: a.version,
      trigger: a.triggerType,
      status: 'running',
      createdAt: a.startedAt.toISOString(),
      startedAt: a.startedAt.toISOString(),
      finishedAt: null,
      durationMs: null,
      steps: [],
    };
  }

  async cancel(orgId: string, runId: string): Promise<RunSummaryDto> {
    if (!UUID_RE.test(runId)) throw notFound();
    const active = await this.launcher.isActive(runId);
    if (active && active.orgId === orgId && !active.recorded) return this.cancelUnwritten(orgId, runId, active);
    const row = await this.db.withOrg(orgId, async (em) => {
      const r = await runStore.get(em, orgId, runId);
      if (!r || !canOn('update', 'Run', { orgId, projectId: r.projectId, flowId: r.flowId })) throw notFound();
      if (r.status !== 'queued' && r.status !== 'running')
        throw new ExecutionException('run_not_active', `The run has already ended (${r.status})`);
      await runStore.cancel(em, orgId, runId);
      await this.events.publish(em, {
        action: 'run.cancelled',
        orgId,
        resourceType: 'run',
        resourceId: runId,
        metadata: { flowId: r.flowId },
      });
      return r;
    });
    // Where it runs here the engine stops at once; elsewhere the cluster bus carries the cancellation.
    await this.launcher.cancel(orgId, runId);
    const after = await this.db.withOrg(orgId, (em) => runStore.get(em, orgId, runId));
    return summary(after ?? row);
  }

  /** Cancels a synchronous run of this process that is not written yet (it is written, cancelled, when it stops). */
  private async cancelUnwritten(orgId: string, runId: string, a: ActiveRunInfo): Promise<RunSummaryDto> {
    if (!canOn('update', 'Run', { orgId, projectId: a.projectId, flowId: a.flowId })) throw notFound();
    await this.db.withOrg(orgId, (em) =>
      this.events.publish(em, {
        action: 'run.cancelled',
        orgId,
        resourceType: 'run',
        resourceId: runId,
        metadata: { flowId: a.flowId },
      }),
    );
    await this.launcher.cancel(orgId, runId);
    // It may have ended on its own just before: then its row can still be in the write buffer.
    if (this.writer.has(runId)) await this.writer.flush();
    const row = await this.db.withOrg(orgId, (em) => runStore.get(em, orgId, runId));
    if (!row) throw notFound();
    return summary(row);
  }
}

function errorOf(r: RunEntity): CreatedRunDto['error'] {
  return r.errorType
    ? { type: r.errorType, message: r.errorMessage ?? '', ...(r.errorNodeId ? { nodeId: r.errorNodeId } : {}) }
    : undefined;
}

function summary(r: RunEntity): RunSummaryDto {
  const started = r.startedAt ? new Date(r.startedAt) : null;
  const finished = r.finishedAt ? new Date(r.finishedAt) : null;
  return {
    id: r.id,
    flowId: r.flowId,
    projectId: r.projectId,
    version: r.flowVersion ?? 'draft',
    trigger: r.triggerType,
    status: r.status,
    createdAt: new Date(r.createdAt).toISOString(),
    startedAt: started?.toISOString() ?? null,
    finishedAt: finished?.toISOString() ?? null,
    durationMs: started && finished ? finished.getTime() - started.getTime() : null,
    error: errorOf(r),
  };
}

function step(s: StepRunEntity): RunDetailDto['steps'][number] {
  return {
    nodeId: s.nodeId,
    nodeType: s.nodeType,
    attempt: s.attempt,
    ...(s.iteration !== null ? { iteration: s.iteration } : {}),
    status: s.status,
    startedAt: new Date(s.startedAt).toISOString(),
    durationMs: s.durationMs,
    ...(s.output !== null ? { output: s.output } : {}),
    ...(s.errorType ? { error: { type: s.errorType, message: s.errorMessage ?? '' } } : {}),
  };
}
