import type { AuditRow } from './audit-entry.js';
import { PLATFORM_ORG_ID } from './audit-hash.js';
import type { AuditEventResponseDto } from './dto/audit-event.response.dto.js';

export function toAuditDto(r: AuditRow): AuditEventResponseDto {
  return {
    id: r.id,
    orgId: r.org_id === PLATFORM_ORG_ID ? null : r.org_id,
    seq: Number(r.seq),
    time: r.created_at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, displayName: r.actor_name },
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    outcome: r.outcome,
    reason: r.reason,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    metadata: r.metadata,
    hash: r.hash,
  };
}
