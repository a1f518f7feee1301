import { Injectable } from '@nestjs/common';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { Database } from '../../../core/database/database.js';
import { executionSystemQueries } from '../execution.system-queries.js';
import { ORGS_CHANNEL } from './run-channels.js';

export interface OrgRuntimeInfo {
  active: boolean;
  egressAllowlist: string[];
  /** Per-org overrides of the server's run limits (organization.settings.limits, set by the platform operator). */
  limits: { maxConcurrent?: number; maxRunsPerMinute?: number; maxSteps?: number; maxDurationMs?: number };
}

const TTL_MS = 5000;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * Organization facts runs need (status, egress allowlist, limit overrides), cached briefly per org. A pre-tenant
 * lookup on the system pool: webhooks must know whether the org is active before anything else. Entries are
 * dropped when any instance changes the org (ORGS_CHANNEL).
 */
@Injectable()
export class OrgRuntimeCache {
  private readonly cache = new Map<string, { info: OrgRuntimeInfo | null; at: number }>();

  constructor(
    private readonly db: Database,
    bus: ClusterBus,
  ) {
    bus.subscribe(ORGS_CHANNEL, (orgId) => this.forget(orgId));
  }

  forget(orgId: string): void {
    this.cache.delete(orgId);
  }

  async get(orgId: string): Promise<OrgRuntimeInfo | null> {
    const hit = this.cache.get(orgId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.info;
    const r = await executionSystemQueries(this.db).orgRuntime(orgId);
    const settings = r?.settings ?? {};
    const allow = Array.isArray(settings.egressAllowlist)
      ? settings.egressAllowlist.filter((x): x is string => typeof x === 'string')
      : [];
    // `limits` is what the platform route writes; `runLimits` is the older hand-set name.
    const rl = (settings.limits ?? settings.runLimits ?? {}) as Record<string, unknown>;
    const info = r
      ? {
          active: r.status === 'active',
          egressAllowlist: allow,
          limits: {
            maxConcurrent: num(rl.maxConcurrent),
            maxRunsPerMinute: num(rl.maxRunsPerMinute),
            maxSteps: num(rl.maxSteps),
            maxDurationMs: num(rl.maxDurationMs),
          },
        }
      : null;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(orgId, { info, at: Date.now() });
    return info;
  }
}
