import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Action, AppRule, SubjectName } from '../../core/authz/ability.js';
import type { Principal } from '../../core/context/request-context.js';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { AbilityFactory, type AbilityContributor } from '../authorization/index.js';
import type { FlowShareRole } from './flow-share.entity.js';

/**
 * What a flow-level role allows on that one flow (and its runs). Sharing itself (`manage`) and deleting stay
 * with org and project roles.
 */
export const FLOW_SHARE_GRANTS: Record<FlowShareRole, [Action, SubjectName][]> = {
  viewer: [
    ['read', 'Flow'],
    ['read', 'Run'],
  ],
  editor: [
    ['read', 'Flow'],
    ['update', 'Flow'],
    ['publish', 'Flow'],
    ['run', 'Flow'],
    ['read', 'Run'],
    ['create', 'Run'],
  ],
};

/** Rules for a principal's shares: flow rules conditioned on the flow id, run rules on the run's flow id. */
export function shareRules(orgId: string, shares: { flowId: string; role: FlowShareRole }[]): AppRule[] {
  const rules: AppRule[] = [];
  for (const role of Object.keys(FLOW_SHARE_GRANTS) as FlowShareRole[]) {
    const ids = shares.filter((s) => s.role === role).map((s) => s.flowId);
    if (!ids.length) continue;
    for (const [action, subject] of FLOW_SHARE_GRANTS[role]) {
      const field = subject === 'Flow' ? 'id' : 'flowId';
      rules.push({ action, subject, conditions: { orgId, [field]: { $in: ids } } } as AppRule);
    }
  }
  return rules;
}

/** Plugs flow shares into every request's ability (user principals only; keys carry their own role). */
@Injectable()
export class FlowShareContributor implements AbilityContributor, OnModuleInit {
  readonly name = 'flow-shares';

  constructor(
    private readonly abilities: AbilityFactory,
    private readonly db: Database,
  ) {}

  onModuleInit(): void {
    this.abilities.registerContributor(this);
  }

  async contribute(principal: Principal & { orgId: string }): Promise<AppRule[]> {
    if (principal.type !== 'user' || !UUID_RE.test(principal.id)) return [];
    // Read on every request of a signed-in user: one round trip, no transaction (and no cache, so an unshare is
    // effective at once).
    const rows = await this.db.readOrg<{ flow_id: string; role: FlowShareRole }>(
      principal.orgId,
      `SELECT s.flow_id, s.role FROM flow_share s JOIN flow f ON f.id = s.flow_id AND f.deleted_at IS NULL WHERE s.user_id = $1`,
      [principal.id],
    );
    return shareRules(
      principal.orgId,
      rows.map((r) => ({ flowId: r.flow_id, role: r.role })),
    );
  }
}
