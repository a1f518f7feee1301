import { BACKGROUND_WORK } from '../../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import type { Logger } from 'pino';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { ExecutionService } from '../execution.service.js';
import { INSTANCE_ID, RUN_CANCEL_CHANNEL } from './instance.js';

export const FLOWS_CHANNEL = 'tenantflow_flows';
export const ORGS_CHANNEL = 'tenantflow_orgs';
const FLOW_CHANGES = new Set(['flow.published', 'flow.rolled_back', 'flow.enabled', 'flow.disabled', 'flow.deleted', 'flow.updated']);
const SWEEP_MS = 30_000;
const LOST = 'The server stopped while the run was in progress';
const OVERDUE = 'The run outlived its maximum duration without finishing';

/**
 * Keeps runs honest across processes:
 * - each instance holds a PostgreSQL advisory lock named by its instance id on a dedicated connection for as long as
 *   it lives; unfinished runs of an instance whose lock is free belong to a dead process and are marked failed
 *   (at start and every 30 s), and orphaned runs older than the maximum duration are failed too, so none stays running;
 * - LISTEN for cancellations (the instance executing the run aborts it) and for flow/org changes (caches drop them);
 *   the NOTIFYs for flow and org changes are sent from the domain events, in the changing transaction.
 */
@Injectable()
export class RunRecoveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Map<string, ((payload: string) => void)[]>();

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly execution: ExecutionService,
    events: DomainEventBus,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    events.subscribe(async (em, e) => {
      if (FLOW_CHANGES.has(e.action) && e.resourceId) await em.query(`SELECT pg_notify($1, $2)`, [FLOWS_CHANNEL, e.resourceId]);
      if (e.action === 'org.updated' && e.orgId) await em.query(`SELECT pg_notify($1, $2)`, [ORGS_CHANNEL, e.orgId]);
    });
    this.subscribe(RUN_CANCEL_CHANNEL, (runId) => this.execution.cancelLocal(runId));
    this.subscribe(ORGS_CHANNEL, (orgId) => this.execution.orgs.forget(orgId));
  }

  subscribe(channel: string, fn: (payload: string) => void): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), fn]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.background) return;
    // Its own connection, outside the pools: it is held for the process's life (lock, LISTEN).
    const url = (this.db.system.options as { url?: string }).url;
    this.client = new pg.Client({ connectionString: url, application_name: 'tenantflow:runs' });
    await this.client.connect();
    this.client.on('notification', (n) => {
      for (const fn of this.listeners.get(n.channel) ?? []) fn(n.payload ?? '');
    });
    this.client.on('error', (err) => this.log.warn({ err: err.message }, 'run notification connection lost'));
    await this.client.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [`tf-instance:${this.instanceId}`]);
    for (const channel of this.listeners.keys()) await this.client.query(`LISTEN ${channel}`);
    await this.recover();
    this.timer = setInterval(() => void this.recover(), SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** Fails unfinished runs of dead instances and overdue runs. Returns how many runs it ended. */
  async recover(): Promise<number> {
    if (!this.client) return 0;
    try {
      let ended = 0;
      const owners: { instance_id: string }[] = await this.db.system.query(
        `SELECT DISTINCT instance_id FROM run WHERE status IN ('queued', 'running') AND instance_id IS NOT NULL AND instance_id <> $1`, [this.instanceId]);
      for (const { instance_id: owner } of owners) {
        const key = `tf-instance:${owner}`;
        const free = (await this.client.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS free`, [key])).rows[0]?.free === true;
        if (!free) continue;
        await this.client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
        ended += await this.fail(`instance_id = $1`, [owner], 'node_error', LOST);
      }
      // Live instances end their own runs; what is left are runs this process no longer executes (their final
      // write failed) and rows that lost their owner. Orgs may allow longer runs, so only past the grace.
      const graceMs = this.config.get('TENANTFLOW_RUN_MAX_DURATION') + 60_000;
      ended += await this.fail(
        `(instance_id IS NULL OR (instance_id = $1 AND NOT (id = ANY($2::uuid[])))) AND started_at < now() - make_interval(secs => $3::double precision / 1000)`,
        [this.instanceId, this.execution.activeIds(), graceMs], 'timeout', OVERDUE);
      if (ended) this.log.warn({ ended }, 'ended runs left unfinished');
      return ended;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'run recovery failed; will retry');
      return 0;
    }
  }

  // Maintenance across orgs on the system pool: the platform's own bookkeeping, not tenant work.
  private async fail(where: string, params: unknown[], type: string, message: string): Promise<number> {
    const n = params.length;
    const rows: unknown[] = await this.db.system.query(
      `WITH u AS (UPDATE run SET status = 'failed', error_type = $${n + 1}, error_message = $${n + 2}, finished_at = now(), instance_id = NULL
                   WHERE status IN ('queued', 'running') AND ${where} RETURNING id) SELECT id FROM u`,
      [...params, type, message],
    );
    return rows.length;
  }
}
