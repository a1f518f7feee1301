import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import type { DraftResponseDto } from './dto/draft.dto.js';
import { loadFlowFor } from './flow-access.js';
import { FlowDefinitionsService } from './flow-definitions.service.js';
import { FlowEntity } from './flow.entity.js';
import { draftConflict, draftEtag, expectedRevision } from './domain/draft-etag.js';
import { definitionHash } from './domain/canonical-json.js';

export interface DraftWithEtag {
  etag: string;
  body: DraftResponseDto;
}

/** The one draft of a flow, edited under optimistic concurrency (ETag / If-Match, 412 on a stale tag). */
@Injectable()
export class FlowDraftsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly definitions: FlowDefinitionsService,
  ) {}

  get(orgId: string, flowId: string): Promise<DraftWithEtag> {
    return this.db.withOrg(orgId, async (em) => this.present(await loadFlowFor(em, orgId, flowId, 'read')));
  }

  /**
   * Saves the draft if the caller's tag names the current revision. The revision bump is a compare-and-set in
   * one UPDATE, so of two saves carrying the same tag exactly one matches and the other gets 412.
   */
  save(orgId: string, flowId: string, ifMatch: string | undefined, submitted: unknown): Promise<DraftWithEtag> {
    return this.db.withOrg(orgId, async (em) => {
      const flow = await loadFlowFor(em, orgId, flowId, 'update');
      const expected = expectedRevision(ifMatch, flowId, flow.draftRevision);
      const revision = expected === 'any' ? flow.draftRevision : expected;
      const definition = this.definitions.prepareDraft(submitted, this.definitions.read(flow.draft));
      const res = await em
        .createQueryBuilder()
        .update(FlowEntity)
        .set({ draft: () => ':draft::jsonb', draftRevision: () => 'draft_revision + 1', draftUpdatedAt: () => 'now()' })
        .setParameter('draft', JSON.stringify(definition))
        .where({ orgId, id: flowId, draftRevision: revision, deletedAt: IsNull() })
        .execute();
      if (!res.affected) throw draftConflict();
      const saved = (await em.getRepository(FlowEntity).findOne({ where: { orgId, id: flowId } }))!;
      await this.events.publish(em, {
        action: 'flow.draft_saved',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: {
          revision: saved.draftRevision,
          nodes: definition.nodes.length,
          hash: definitionHash(this.definitions.present(definition)),
        },
      });
      return this.present(saved);
    });
  }

  private present(flow: FlowEntity): DraftWithEtag {
    const definition = this.definitions.present(this.definitions.read(flow.draft));
    return {
      etag: draftEtag(flow.id, flow.draftRevision),
      body: {
        definition: definition as unknown as Record<string, unknown>,
        revision: flow.draftRevision,
        updatedAt: flow.draftUpdatedAt.toISOString(),
      },
    };
  }
}
