import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Principal } from '../../core/context/request-context.js';
import { Database } from '../../core/database/database.js';
import { AppException } from '../../core/errors/app.exception.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { LOGGER } from '../../core/logging/logger.js';

export interface Denial {
  /** The subject the refused action was on (`route` when there is none). */
  resourceType: string;
  /** Why: `role`, `instance`, `privilege_escalation`, `csrf_failed`, ... */
  reason: string;
  metadata: Record<string, unknown>;
}

/** The HTTP status an error will be answered with, when it says. */
export function statusOf(e: unknown): number | undefined {
  if (e instanceof AppException) return e.status;
  if (e instanceof HttpException) return e.getStatus();
  return undefined;
}

/**
 * Every 403 answered to an authenticated principal is recorded as exactly one `authz.denied`: by whoever refuses
 * (the access guard, the escalation rules, the CSRF check), and by `ServiceDenials` for the 403s services raise.
 * Each is written in a transaction of its own, after the refused change rolled back; the refusal is remembered so
 * that a 403 passing through several layers is recorded once. A failure to record is logged, never answered.
 */
@Injectable()
export class DenialRecorder {
  private readonly recorded = new WeakSet<object>();

  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  isRecorded(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.recorded.has(error);
  }

  /** Records the denial in the principal's org chain (the platform chain for the platform key) and marks `error`. */
  async record(principal: Principal, denial: Denial, error?: unknown): Promise<void> {
    if (typeof error === 'object' && error !== null) this.recorded.add(error);
    const event = {
      action: 'authz.denied',
      orgId: principal.orgId ?? null,
      resourceType: denial.resourceType,
      resourceId: null,
      outcome: 'denied' as const,
      reason: denial.reason,
      metadata: denial.metadata,
      actor: { type: principal.type, id: principal.id, displayName: principal.displayName ?? principal.email ?? null },
    };
    const orgId = principal.orgId;
    const write = orgId
      ? this.db.withOrg(orgId, (em) => this.events.publish(em, { ...event, orgId }))
      : this.db.withSystem((em) => this.events.publish(em, event));
    await write.catch((err: Error) => this.log.warn({ err: err.message }, 'could not record denial'));
  }
}
