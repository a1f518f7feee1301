import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { TenantScopedRepository } from '../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import type { FlowShareResponseDto } from './dto/share.dto.js';
import { currentActor, loadFlowFor } from './flow-access.js';
import { FlowShareEntity, type FlowShareRole } from './flow-share.entity.js';
import { FlowsException } from './flows.exception.js';

const shares = new TenantScopedRepository(FlowShareEntity);

/** Flow-level roles for single org members; the ability contributor turns them into rules. */
@Injectable()
export class FlowSharesService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {}

  list(orgId: string, flowId: string): Promise<{ items: FlowShareResponseDto[] }> {
    return this.db.withOrg(orgId, async (em) => {
      await loadFlowFor(em, orgId, flowId, 'read');
      const rows = await em
        .getRepository(FlowShareEntity)
        .find({ where: { orgId, flowId }, order: { createdAt: 'ASC' } });
      return { items: rows.map(toShareResponse) };
    });
  }

  /** Grants or changes a member's role on one flow (managing shares is an admin permission: `manage Flow`). */
  set(orgId: string, flowId: string, userId: string, role: FlowShareRole): Promise<FlowShareResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      await loadFlowFor(em, orgId, flowId, 'manage', true);
      // The user table belongs to identity; row-level security confines this lookup to the caller's org.
      const [user] = await em.query(`SELECT status FROM app_user WHERE id = $1`, [userId]);
      if (!user || user.status !== 'active')
        throw new FlowsException('user_not_found', 'No active user with this id in the organization');
      const before = await shares.findOne(em, { orgId, flowId, userId });
      const actor = currentActor();
      await em.query(
        `INSERT INTO flow_share (id, org_id, flow_id, user_id, role, created_by_type, created_by_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (flow_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()`,
        [uuidv7(), orgId, flowId, userId, role, actor.type, actor.id],
      );
      await this.events.publish(em, {
        action: 'flow.shared',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: { userId, role, previousRole: before?.role ?? null },
      });
      return toShareResponse((await shares.findOne(em, { orgId, flowId, userId }))!);
    });
  }

  remove(orgId: string, flowId: string, userId: string): Promise<void> {
    return this.db.withOrg(orgId, async (em) => {
      await loadFlowFor(em, orgId, flowId, 'manage', true);
      const before = await shares.findOne(em, { orgId, flowId, userId });
      if (!before || !(await shares.delete(em, { orgId, flowId, userId }))) {
        throw new FlowsException('flow_share_not_found', 'This user has no share on the flow');
      }
      await this.events.publish(em, {
        action: 'flow.unshared',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: { userId, role: before.role },
      });
    });
  }
}

function toShareResponse(s: FlowShareEntity): FlowShareResponseDto {
  return { userId: s.userId, role: s.role, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
}
