import type { EntityManager } from 'typeorm';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/**
 * A security-relevant change or decision. Services publish these inside the transaction of the change;
 * the audit module subscribes and writes its entry in that same transaction (so neither exists without the other).
 */
export interface DomainEvent {
  /** `noun.verb`, e.g. `api_key.revoked` (see the audit catalogue). */
  action: string;
  orgId: string | null;
  resourceType: string;
  resourceId?: string | null;
  outcome?: AuditOutcome;
  reason?: string;
  /** Redacted by the publisher: never secret values. For configuration changes: `{ before, after }`. */
  metadata?: Record<string, unknown>;
}

export type TransactionalHandler = (em: EntityManager, event: DomainEvent) => Promise<void>;

/** In-process bus. Handlers run inside the publisher's transaction and may fail it. */
export class DomainEventBus {
  private readonly handlers: TransactionalHandler[] = [];

  subscribe(handler: TransactionalHandler): void {
    this.handlers.push(handler);
  }

  async publish(em: EntityManager, event: DomainEvent): Promise<void> {
    for (const handler of this.handlers) await handler(em, event);
  }
}
