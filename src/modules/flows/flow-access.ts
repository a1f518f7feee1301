import { IsNull, type EntityManager } from 'typeorm';
import type { Action } from '../../core/authz/ability.js';
import { RequestContextStore } from '../../core/context/request-context.js';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { TenantScopedRepository } from '../../core/database/tenant-scoped.repository.js';
import { canOn } from '../../core/http/policies.js';
import { FlowEntity } from './flow.entity.js';
import { flowForbidden, flowNotFound } from './flows.exception.js';

export const flowsRepo = new TenantScopedRepository(FlowEntity);

/** The CASL fields a flow is checked on (rules condition on org, project and flow id). */
export const flowFields = (f: Pick<FlowEntity, 'orgId' | 'id' | 'projectId'>) => ({
  orgId: f.orgId,
  id: f.id,
  projectId: f.projectId,
});

/**
 * Loads a live (not deleted) flow and checks the caller may `action` it: a flow the caller cannot read answers
 * 404 (no existence leak), one they can read but not act on answers 403. `lock` takes the row lock that
 * serialises publishes, rollbacks and state changes of one flow.
 */
export async function loadFlowFor(
  em: EntityManager,
  orgId: string,
  flowId: string,
  action: Action,
  lock = false,
): Promise<FlowEntity> {
  const flow = lock
    ? await em
        .getRepository(FlowEntity)
        .findOne({ where: { orgId, id: flowId, deletedAt: IsNull() }, lock: { mode: 'pessimistic_write' } })
    : await flowsRepo.findOne(em, { orgId, id: flowId, deletedAt: IsNull() });
  if (!flow) throw flowNotFound();
  assertCan(flow, action);
  return flow;
}

export function assertCan(flow: FlowEntity, action: Action): void {
  const fields = flowFields(flow);
  if (!canOn('read', 'Flow', fields)) throw flowNotFound();
  if (action !== 'read' && !canOn(action, 'Flow', fields)) throw flowForbidden();
}

/** Who is acting, for `created_by` columns. */
export function currentActor(): { type: string; id: string | null } {
  const p = RequestContextStore.get()?.principal;
  if (!p) return { type: 'system', id: null };
  return { type: p.type, id: UUID_RE.test(p.id) ? p.id : null };
}
