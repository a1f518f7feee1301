import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '../../core/database/database.js';
import type { FlowDefinition } from './definition/index.js';
import { diffDefinitions, type DefinitionDiff } from './domain/definition-diff.js';
import { maskForDiff, unmaskDiffValue } from './domain/sensitive-values.js';
import type { FlowDiffDto } from './dto/version.dto.js';
import { loadFlowFor } from './flow-access.js';
import { FlowDefinitionsService } from './flow-definitions.service.js';
import type { FlowEntity } from './flow.entity.js';
import { versionNotFound, versionsRepo } from './flow-versions.service.js';

export type VersionRef = number | 'draft';

export const parseVersionRef = (s: string | undefined): VersionRef =>
  s === undefined || s === 'draft' ? 'draft' : Number(s);

/** Structured diffs between two versions, or a version and the draft. Secret values never appear in them. */
@Injectable()
export class FlowDiffService {
  constructor(
    private readonly db: Database,
    private readonly definitions: FlowDefinitionsService,
  ) {}

  diff(orgId: string, flowId: string, from: VersionRef, to: VersionRef): Promise<FlowDiffDto> {
    return this.db.withOrg(orgId, async (em) => {
      const flow = await loadFlowFor(em, orgId, flowId, 'read');
      const a = await this.load(em, flow, from);
      const b = await this.load(em, flow, to);
      const [ma, mb] = maskForDiff([a, b], this.definitions.registry);
      const d = unmaskDiffValue(diffDefinitions(ma, mb)) as DefinitionDiff;
      return { from, to, ...d } as unknown as FlowDiffDto;
    });
  }

  private async load(em: EntityManager, flow: FlowEntity, ref: VersionRef): Promise<FlowDefinition> {
    if (ref === 'draft') return this.definitions.read(flow.draft);
    const row = await versionsRepo.findOne(em, { orgId: flow.orgId, flowId: flow.id, version: ref });
    if (!row) throw versionNotFound();
    return this.definitions.read(row.definition);
  }
}
