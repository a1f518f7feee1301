import { Injectable } from '@nestjs/common';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { FLOWS_CHANNEL, ORGS_CHANNEL } from './run-channels.js';

/** Domain events after which cached flow definitions are stale (webhook flow cache, scheduler). */
const FLOW_CHANGES = new Set([
  'flow.published',
  'flow.rolled_back',
  'flow.enabled',
  'flow.disabled',
  'flow.deleted',
  'flow.updated',
]);

/**
 * Tells every instance about flow and org changes that execution caches, from the domain events, in the
 * changing transaction (sent on commit).
 */
@Injectable()
export class ChangeRelay {
  constructor(bus: ClusterBus, events: DomainEventBus) {
    events.subscribe(async (em, e) => {
      if (FLOW_CHANGES.has(e.action) && e.resourceId) await bus.publishOnCommit(em, FLOWS_CHANNEL, e.resourceId);
      if (e.action === 'org.updated' && e.orgId) await bus.publishOnCommit(em, ORGS_CHANNEL, e.orgId);
    });
  }
}
