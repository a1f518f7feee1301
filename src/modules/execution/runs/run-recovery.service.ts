import { BACKGROUND_WORK } from '../../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { INSTANCE_ID } from './instance.js';
import { RUN_LAUNCHER, type RunLauncher } from './run-launcher.port.js';
import { executionSystemQueries } from '../execution.system-queries.js';

const SWEEP_MS = 30_000;
const LOST = 'The server stopped while the run was in progress';
const OVERDUE = 'The run outlived its maximum duration without finishing';

/**
 * Keeps runs honest across processes: each instance holds a PostgreSQL advisory lock named by its instance id on a
 * dedicated connection for as long as it lives; unfinished runs of an instance whose lock is free belong to a dead
 * process and are marked failed (at start and every 30 s), and orphaned runs older than the maximum duration are
 * failed too, so none stays running. (Cancellations and cache invalidations travel on the cluster bus.)
 */
@Injectable()
export class RunRecoveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    private readonly db: Database,
    private readonly config: AppConfig,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.background) return;
    // Its own connection, outside the pools: the lock is held for the process's life.
    this.client = await this.db.dedicatedClient('tenantflow:runs');
    this.client.on('error', (err) => this.log.warn({ err: err.message }, 'run recovery connection lost'));
    await this.client.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [`tf-instance:${this.instanceId}`]);
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
    const q = executionSystemQueries(this.db);
    try {
      let ended = 0;
      for (const owner of await q.otherInstancesWithUnfinishedRuns(this.instanceId)) {
        const key = `tf-instance:${owner}`;
        const free =
          (await this.client.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS free`, [key])).rows[0]
            ?.free === true;
        if (!free) continue;
        await this.client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
        ended += await q.failRunsOfInstance(owner, 'node_error', LOST);
      }
      // Live instances end their own runs; what is left are runs this process no longer executes (their final
      // write failed) and rows that lost their owner. Orgs may allow longer runs, so only past the grace.
      const graceMs = this.config.get('TENANTFLOW_RUN_MAX_DURATION') + 60_000;
      const overdue = await q.overdueRuns(this.instanceId, graceMs);
      const stale: string[] = [];
      for (const id of overdue) if (!(await this.launcher.isActive(id))) stale.push(id);
      ended += await q.failRuns(stale, 'timeout', OVERDUE);
      if (ended) this.log.warn({ ended }, 'ended runs left unfinished');
      return ended;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'run recovery failed; will retry');
      return 0;
    }
  }
}
