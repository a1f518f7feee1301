import { BACKGROUND_WORK } from '../../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { INSTANCE_ID } from './instance.js';
import { RUN_EVENTS_CHANNEL } from './run-channels.js';
import { RUN_LAUNCHER, type RunLauncher } from './run-launcher.port.js';
import { executionSystemQueries } from '../execution.system-queries.js';

const LOST = 'The server stopped while the run was in progress';
const OVERDUE = 'The run outlived its maximum duration without finishing';

/**
 * Keeps runs honest across processes: each process that executes runs holds a PostgreSQL advisory lock named by its
 * instance id on a dedicated connection for as long as it lives (re-taken after the connection is lost, e.g. a
 * PostgreSQL restart). Unfinished runs of an instance whose lock is free on two consecutive sweeps belong to a dead
 * process and are marked failed (at start, then every TENANTFLOW_RECOVERY_INTERVAL), and orphaned runs older than the
 * maximum duration are failed too, so none stays running. A process waiting for such a run hears of its end on
 * RUN_EVENTS_CHANNEL. `api` processes execute no runs and do not sweep.
 */
@Injectable()
export class RunRecoveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Owners whose lock was free at the previous sweep (judged dead if it is free again). */
  private suspects = new Set<string>();

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    private readonly db: Database,
    private readonly config: AppConfig,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: ClusterBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.background || this.config.get('TENANTFLOW_MODE') === 'api') return;
    await this.connect();
    await this.recover();
    this.timer = setInterval(() => void this.recover(), this.config.get('TENANTFLOW_RECOVERY_INTERVAL'));
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** Its own connection, outside the pools: the lock is held for the process's life, and re-taken if the connection drops. */
  private async connect(): Promise<void> {
    const client = await this.db.dedicatedClient('tenantflow:runs');
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.stopped) return;
      this.log.warn({ err: err?.message }, 'run recovery connection lost; reconnecting');
      client.end().catch(() => undefined);
      this.reconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [`tf-instance:${this.instanceId}`]);
    this.client = client;
  }

  private reconnect(): void {
    setTimeout(() => {
      if (this.stopped || this.client) return;
      this.connect().catch(() => this.reconnect());
    }, 1000).unref();
  }

  /** Fails unfinished runs of dead instances and overdue runs. Returns how many runs it ended. */
  async recover(): Promise<number> {
    if (!this.client) return 0;
    const q = executionSystemQueries(this.db);
    try {
      const ended: string[] = [];
      const suspects = new Set<string>();
      for (const owner of await q.otherInstancesWithUnfinishedRuns(this.instanceId)) {
        const key = `tf-instance:${owner}`;
        const free =
          (await this.client.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS free`, [key])).rows[0]
            ?.free === true;
        if (!free) continue;
        await this.client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
        // A live process re-takes its lock within a sweep after losing its connection (a PostgreSQL restart).
        if (!this.suspects.has(owner)) {
          suspects.add(owner);
          continue;
        }
        ended.push(...(await q.failRunsOfInstance(owner, 'node_error', LOST)));
      }
      this.suspects = suspects;
      // Live instances end their own runs; what is left are runs this process no longer executes (their final
      // write failed) and rows that lost their owner. Orgs may allow longer runs, so only past the grace.
      const graceMs = this.config.get('TENANTFLOW_RUN_MAX_DURATION') + 60_000;
      const overdue = await q.overdueRuns(this.instanceId, graceMs);
      const stale: string[] = [];
      for (const id of overdue) if (!(await this.launcher.isActive(id))) stale.push(id);
      ended.push(...(await q.failRuns(stale, 'timeout', OVERDUE)));
      if (ended.length) this.log.warn({ ended: ended.length }, 'ended runs left unfinished');
      // A process waiting for one of them (a webhook, a manual run with wait) reads its end from the row.
      for (const runId of ended) await this.bus.publish(RUN_EVENTS_CHANNEL, { runId, kind: 'finished' });
      return ended.length;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'run recovery failed; will retry');
      return 0;
    }
  }
}
