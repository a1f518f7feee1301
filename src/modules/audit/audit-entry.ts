import { uuidv7, UUID_RE } from '../../core/crypto/tokens.js';
import type { RequestContext } from '../../core/context/request-context.js';
import type { AuditOutcome, DomainEvent, EventActor } from '../../core/events/domain-events.js';
import { PLATFORM_ORG_ID, type EntryFields } from './audit-hash.js';
import { redactMetadata, scrubOptional, scrubString } from './audit-redaction.js';

export const ACTION_RE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];
const ACTOR_TYPES = ['user', 'api_key', 'platform', 'embed', 'system'] as const;

/** A stored entry as read back from `audit_event`. */
export interface AuditRow {
  id: string;
  org_id: string;
  seq: string;
  created_at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  metadata: Record<string, unknown>;
  hash: string;
}

export const AUDIT_COLUMNS = `id, org_id, seq, created_at, actor_type, actor_id, actor_name, action, resource_type, resource_id,
  outcome, reason, ip, user_agent, request_id, metadata, hash`;

/** The actor: the event's override, else the request's principal, else `system`. */
function resolveActor(event: DomainEvent, ctx: RequestContext | undefined): EventActor {
  if (event.actor) return event.actor;
  const p = ctx?.principal;
  if (!p) return { type: 'system', id: null, displayName: null };
  return { type: p.type, id: p.id, displayName: p.displayName ?? p.email ?? null };
}

/**
 * Turns a domain event and the request context into the fields that are hashed and stored. Throws on a malformed
 * event (a programming error): the publisher's transaction fails rather than commit a change without its entry.
 */
export function buildEntry(event: DomainEvent, ctx: RequestContext | undefined): EntryFields {
  if (!ACTION_RE.test(event.action) || event.action.length > 100)
    throw new Error(`Invalid audit action "${event.action}"`);
  const orgId = event.orgId ?? PLATFORM_ORG_ID;
  if (!UUID_RE.test(orgId)) throw new Error('Invalid audit org id');
  const outcome = event.outcome ?? 'success';
  if (!OUTCOMES.includes(outcome)) throw new Error(`Invalid audit outcome "${outcome}"`);
  const actor = resolveActor(event, ctx);
  if (!(ACTOR_TYPES as readonly string[]).includes(actor.type))
    throw new Error(`Invalid audit actor type "${actor.type}"`);
  const sensitive = (event.sensitiveValues ?? []).filter((v) => typeof v === 'string' && v.length > 0);
  // A JSON round trip gives exactly the values jsonb hands back, so verification rebuilds the same body.
  const metadata = JSON.parse(JSON.stringify(redactMetadata(event.metadata, sensitive))) as Record<string, unknown>;
  return {
    id: uuidv7(),
    orgId: orgId.toLowerCase(),
    actor: {
      type: actor.type,
      id: scrubOptional(actor.id, sensitive, 200),
      name: scrubOptional(actor.displayName, sensitive, 200),
    },
    action: event.action,
    resource: {
      type: scrubString(event.resourceType, sensitive, 100),
      id: scrubOptional(event.resourceId, sensitive, 200),
    },
    outcome,
    reason: scrubOptional(event.reason, sensitive, 200),
    ip: scrubOptional(ctx?.ip, sensitive, 100),
    userAgent: scrubOptional(ctx?.userAgent, sensitive, 512),
    requestId: scrubOptional(ctx?.requestId, sensitive, 128),
    metadata,
  };
}

/** Rebuilds the hashed fields from a stored row (verification). */
export function rowFields(r: AuditRow): EntryFields {
  return {
    id: r.id,
    orgId: r.org_id,
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    action: r.action,
    resource: { type: r.resource_type, id: r.resource_id },
    outcome: r.outcome,
    reason: r.reason,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    metadata: r.metadata,
  };
}
