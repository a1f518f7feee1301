import type { EntityManager } from 'typeorm';
import type { PrincipalType } from '../context/request-context.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** Who performed an action, when it is not the request's principal (e.g. sign-in, before a principal exists). */
export interface EventActor {
  type: PrincipalType;
  id: string | null;
  displayName?: string | null;
}

/**
 * A security-relevant change or decision. Services publish these inside the transaction of the change;
 * the audit module subscribes and writes its entry in that same transaction (so neither exists without the other).
 * Publish as the last step of the transaction: the audit writer locks the org's chain head until commit.
 */
export interface DomainEvent {
  /** `noun.verb`, e.g. `api_key.revoked` (see the audit catalogue, docs/audit.md). */
  action: string;
  /** The org whose log records it; `null` only for platform-level events (written on the system pool). */
  orgId: string | null;
  resourceType: string;
  resourceId?: string | null;
  outcome?: AuditOutcome;
  reason?: string;
  /** Redacted by the publisher: never secret values. For configuration changes: `{ before, after }`. */
  metadata?: Record<string, unknown>;
  /** Overrides the actor taken from the request context (principal; none means `system`). */
  actor?: EventActor;
  /**
   * Plaintext values the publisher handled (a minted key, a submitted client secret): the audit writer removes
   * them wherever they appear in the entry. Defence in depth; the metadata must not carry them in the first place.
   */
  sensitiveValues?: string[];
}

export type TransactionalHandler = (em: EntityManager, event: DomainEvent) => Promise<void>;

/** In-process bus. Handlers run inside the publisher's transaction and may fail it. */
export class DomainEventBus {
  private readonly handlers: TransactionalHandler[] = [];

  /** Adds a handler; returns a function that removes it again. */
  subscribe(handler: TransactionalHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  async publish(em: EntityManager, event: DomainEvent): Promise<void> {
    for (const handler of this.handlers) await handler(em, event);
  }
}
