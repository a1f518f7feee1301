import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { RequestContextStore } from '../../core/context/request-context.js';
import { DomainEventBus, type DomainEvent } from '../../core/events/domain-events.js';
import { LOGGER } from '../../core/logging/logger.js';
import { AUDIT_ACTIONS } from './audit.catalogue.js';
import { buildEntry } from './audit-entry.js';
import { entryBody } from './audit-hash.js';

/**
 * Subscribes to domain events and appends one audit entry per event, in the publisher's transaction and with its
 * EntityManager: if the change rolls back, so does the entry, and a failed append fails the change.
 */
@Injectable()
export class AuditWriter implements OnModuleDestroy {
  private readonly unsubscribe: () => void;
  private readonly warned = new Set<string>();

  constructor(
    events: DomainEventBus,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    // At construction, before any module's init hooks run, so no event published during startup goes unrecorded.
    this.unsubscribe = events.subscribe((em, event) => this.write(em, event));
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  async write(em: EntityManager, event: DomainEvent): Promise<void> {
    if (!AUDIT_ACTIONS.has(event.action) && !this.warned.has(event.action)) {
      this.warned.add(event.action);
      this.log.warn({ action: event.action }, 'audit action is not in the catalogue (docs/audit.md); recorded anyway');
    }
    const body = entryBody(buildEntry(event, RequestContextStore.get()));
    await em.query('SELECT out_seq FROM audit_append($1)', [body]);
  }
}
