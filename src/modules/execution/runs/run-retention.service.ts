import { BACKGROUND_WORK } from '../../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { PeriodicJob } from '../../../core/background/periodic-job.js';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { readPlatformSettings } from '../../tenancy/index.js';

/** The advisory lock (by name) that lets one process at a time apply run retention. */
export const RUN_RETENTION_LOCK = 'tf-retention:runs';
const FIRST_RUN_MS = 90_000;
const INTERVAL_MS = 60 * 60_000;
const DAY_MS = 86_400_000;
/** Runs deleted per statement (their steps go with them by cascade): each statement is short and commits alone. */
const BATCH = 500;

export interface RunPurge {
  orgId: string;
  removed: number;
}

/**
 * Deletes run history past each org's retention: finished runs (and by cascade their steps) that ended more than
 * `runRetentionDays` (operator-set per org, else `TENANTFLOW_RUN_RETENTION_DAYS`) ago. Runs still queued or running
 * are never touched. Runs in every process with background work, 90 s after start and then hourly; a PostgreSQL
 * advisory lock, held on a connection of its own outside the pools, lets one process at a time do the work.
 */
@Injectable()
export class RunRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly job: PeriodicJob;
  private stopping = false;

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    private readonly db: Database,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.job = new PeriodicJob(
      { name: 'run retention', firstMs: FIRST_RUN_MS, intervalMs: INTERVAL_MS },
      () => this.runOnce(),
      log,
    );
  }

  onApplicationBootstrap(): void {
    if (this.background) this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.job.stop();
  }

  /** One pass over every org; `null` when another process holds the lock. */
  async runOnce(now = new Date(), batch = BATCH): Promise<RunPurge[] | null> {
    // Not a pooled connection: the job may take a while, and the system pool serves sign-ins meanwhile.
    return this.db.withExclusiveSession(
      'tenantflow:retention',
      RUN_RETENTION_LOCK,
      async (client) => {
        const fallback = this.config.get('TENANTFLOW_RUN_RETENTION_DAYS');
        const orgs = await client.query<{ id: string; settings: Record<string, unknown> | null }>(
          'SELECT id, settings FROM organization ORDER BY id',
        );
        const results: RunPurge[] = [];
        for (const org of orgs.rows) {
          if (this.stopping) break;
          const days = readPlatformSettings(org.settings).runRetentionDays ?? fallback;
          const removed = await this.purgeOrg(client, org.id, new Date(now.getTime() - days * DAY_MS), batch);
          if (removed > 0) results.push({ orgId: org.id, removed });
        }
        if (results.length) this.log.info({ orgs: results.length }, 'run retention deleted old runs');
        return results;
      },
      (err) => this.log.warn({ err: err.message }, 'run retention connection lost'),
    );
  }

  /** Deletes `orgId`'s runs that ended before `before`, `batch` per statement; returns how many. */
  private async purgeOrg(client: pg.Client, orgId: string, before: Date, batch: number): Promise<number> {
    let removed = 0;
    while (!this.stopping) {
      const res = await client.query(
        `DELETE FROM run WHERE id IN (
           SELECT id FROM run WHERE org_id = $1 AND status NOT IN ('queued', 'running') AND finished_at < $2
            LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [orgId, before, batch],
      );
      removed += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < batch) break;
    }
    return removed;
  }
}
