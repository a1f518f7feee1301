import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Database } from '../../../core/database/database.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { egressRefusedEvent } from '../../egress/index.js';
import { ExecutionHooks, type EgressRefusedEvent } from '../engine/execution-hooks.js';

const MAX_REMEMBERED = 10_000;

/**
 * Publishes `egress.refused` for runs: once per run and node, so a loop or retries against a forbidden address
 * leave one entry, not thousands. Metadata names the run, flow, node and the address class, never the address.
 */
@Injectable()
export class EgressRefusalAudit implements OnModuleInit {
  private readonly recorded = new Set<string>();

  constructor(
    private readonly hooks: ExecutionHooks,
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {}

  onModuleInit(): void {
    this.hooks.onEgressRefused((e) => this.record(e));
  }

  private async record(e: EgressRefusedEvent): Promise<void> {
    const key = `${e.runId}:${e.nodeId}`;
    if (this.recorded.has(key)) return;
    if (this.recorded.size >= MAX_REMEMBERED) this.recorded.clear();
    this.recorded.add(key);
    const origin = { source: 'flow_run' as const, runId: e.runId, flowId: e.flowId, nodeId: e.nodeId };
    await this.db.withOrg(e.orgId, (em) => this.events.publish(em, egressRefusedEvent(e.orgId, e.refusal, origin)));
  }
}
