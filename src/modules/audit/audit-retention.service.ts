import { BACKGROUND_WORK } from '../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { PeriodicJob } from '../../core/background/periodic-job.js';
import { Database } from '../../core/database/database.js';
import { LOGGER } from '../../core/logging/logger.js';
import { buildEntry } from './audit-entry.js';
import { entryBody, PLATFORM_ORG_ID } from './audit-hash.js';

const RETENTION_LOCK_KEY = 7_402_118_233;
const FIRST_RUN_MS = 60_000;
const INTERVAL_MS = 60 * 60_000;
const DAY_MS = 86_400_000;
const PURGE_SLICE = 50_000;

export interface PurgeResult {
  orgId: string | null;
  removed: number;
}

/**
 * Applies each chain's retention (`audit_chain.retention_days`, default 365) through `audit_purge`, which removes
 * old entries and appends a checkpoint. Runs in every process with background work a minute after start and then
 * hourly; a PostgreSQL advisory lock (held on a dedicated connection) lets one instance at a time do the work.
 */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly job: PeriodicJob;

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.job = new PeriodicJob(
      { name: 'audit retention run', firstMs: FIRST_RUN_MS, intervalMs: INTERVAL_MS },
      () => this.runOnce(),
      log,
    );
  }

  onApplicationBootstrap(): void {
    if (this.background) this.job.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /** One pass over every chain; `null` when another instance holds the lock. */
  async runOnce(now = new Date()): Promise<PurgeResult[] | null> {
    // The lock lives on a connection of its own, outside the pools: the purge slices use the system pool, which
    // sign-ins share, and a session held from it for the whole pass would leave them one connection fewer.
    return this.db.withExclusiveSession(
      'tenantflow:audit-retention',
      RETENTION_LOCK_KEY,
      async () => {
        const chains = await this.db.systemQuery<{ org_id: string; retention_days: number }>(
          'SELECT org_id, retention_days FROM audit_chain ORDER BY org_id',
        );
        const results: PurgeResult[] = [];
        for (const c of chains) {
          const removed = await this.purgeChain(c.org_id, new Date(now.getTime() - c.retention_days * DAY_MS));
          if (removed > 0) results.push({ orgId: c.org_id === PLATFORM_ORG_ID ? null : c.org_id, removed });
        }
        if (results.length) this.log.info({ chains: results.length }, 'audit retention purged old entries');
        return results;
      },
      (err) => this.log.warn({ err: err.message }, 'audit retention connection lost'),
    );
  }

  /**
   * Removes a chain's entries older than `before`, leaving a checkpoint; returns how many were removed. Works in
   * slices of {@link PURGE_SLICE} entries, one transaction each, so the chain head (and with it every audited write
   * of the org) is never locked for long. The target is fixed first, so this run's own checkpoints are kept.
   */
  async purgeChain(orgId: string, before: Date, slice = PURGE_SLICE): Promise<number> {
    const [target] = (await this.db.systemQuery(
      `SELECT seq FROM audit_event WHERE org_id = $1 AND created_at < $2 ORDER BY created_at DESC, seq DESC LIMIT 1`,
      [orgId, before],
    )) as { seq: string }[];
    if (!target) return 0;
    let removed = 0;
    for (;;) {
      const n = await this.purgeSlice(orgId, Number(target.seq), before, slice);
      if (n === 0) return removed;
      removed += n;
    }
  }

  private purgeSlice(orgId: string, upTo: number, before: Date, slice: number): Promise<number> {
    return this.db.withSystem(async (em) => {
      await em.query('SELECT 1 FROM audit_chain WHERE org_id = $1 FOR UPDATE', [orgId]);
      const [first] = (await em.query('SELECT seq FROM audit_event WHERE org_id = $1 ORDER BY seq LIMIT 1', [
        orgId,
      ])) as { seq: string }[];
      if (!first || Number(first.seq) > upTo) return 0;
      const through = Math.min(upTo, Number(first.seq) + slice - 1);
      const [{ hash }] = (await em.query('SELECT hash FROM audit_event WHERE org_id = $1 AND seq = $2', [
        orgId,
        through,
      ])) as { hash: string }[];
      const body = entryBody(
        buildEntry(
          {
            action: 'audit.purged',
            orgId: orgId === PLATFORM_ORG_ID ? null : orgId,
            resourceType: 'audit_chain',
            resourceId: orgId,
            actor: { type: 'system', id: null, displayName: 'retention' },
            metadata: { throughSeq: through, continuesFromHash: hash, before: before.toISOString() },
          },
          undefined,
        ),
      );
      const [{ removed }] = (await em.query('SELECT audit_purge($1, $2, $3) AS removed', [orgId, through, body])) as {
        removed: string;
      }[];
      return Number(removed);
    });
  }
}
