import { Injectable } from '@nestjs/common';
import { IsNull, type FindOptionsWhere } from 'typeorm';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import type { Page, PageQueryDto } from '../../core/http/pagination.js';
import { canOn } from '../../core/http/policies.js';
import { ProjectsService } from '../tenancy/index.js';
import { CURRENT_SCHEMA_VERSION, type FlowDefinition } from './definition/index.js';
import type { CreateFlowDto, FlowResponseDto, UpdateFlowDto } from './dto/flow.dto.js';
import { currentActor, flowsRepo, loadFlowFor } from './flow-access.js';
import { FlowEntity } from './flow.entity.js';
import { FlowsException } from './flows.exception.js';

const projectNotFound = () => new FlowsException('project_not_found', 'Project not found');

/** Extra row filter from the caller's ability (`accessibleWhere('read', 'Flow')`); `[]` = nothing visible. */
export type FlowFilter = FindOptionsWhere<FlowEntity>[] | undefined;

/** The draft a new flow starts with: a manual trigger and nothing else. */
export const emptyDefinition = (): FlowDefinition => ({
  schemaVersion: CURRENT_SCHEMA_VERSION,
  trigger: { type: 'manual', settings: {} },
  nodes: [],
  edges: [],
});

/** Flows: create, read, rename, enable, disable and (soft) delete. Drafts and versions have their own services. */
@Injectable()
export class FlowsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly projects: ProjectsService,
  ) {}

  list(orgId: string, projectId: string, q: PageQueryDto, filter: FlowFilter): Promise<Page<FlowResponseDto>> {
    return this.db.withOrg(orgId, async (em) => {
      await this.projects.get(orgId, projectId);
      const page = await flowsRepo.pageFiltered(em, { orgId, projectId, deletedAt: IsNull() }, filter, q, (f) =>
        toFlowResponse(f),
      );
      // A project outside the caller's reach is "not found", unless they hold flows in it (e.g. through a share).
      if (!page.items.length && !q.cursor && !canOn('read', 'Project', { orgId, id: projectId }))
        throw projectNotFound();
      return page;
    });
  }

  get(orgId: string, flowId: string): Promise<FlowResponseDto> {
    return this.db.withOrg(orgId, async (em) => toFlowResponse(await loadFlowFor(em, orgId, flowId, 'read')));
  }

  create(orgId: string, projectId: string, dto: CreateFlowDto): Promise<FlowResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      await this.projects.get(orgId, projectId);
      if (!canOn('create', 'Flow', { orgId, projectId })) {
        if (!canOn('read', 'Project', { orgId, id: projectId })) throw projectNotFound();
        throw new FlowsException('forbidden', 'You may not create flows in this project');
      }
      const actor = currentActor();
      const row = Object.assign(new FlowEntity(), {
        id: uuidv7(),
        orgId,
        projectId,
        name: dto.name,
        description: dto.description ?? null,
        enabled: false,
        publishedVersion: null,
        draft: emptyDefinition(),
        draftRevision: 1,
        draftUpdatedAt: new Date(),
        createdByType: actor.type,
        createdById: actor.id,
        deletedAt: null,
      });
      await flowsRepo.insert(em, row);
      await this.events.publish(em, {
        action: 'flow.created',
        orgId,
        resourceType: 'flow',
        resourceId: row.id,
        metadata: { projectId, name: dto.name },
      });
      return toFlowResponse((await flowsRepo.findOne(em, { orgId, id: row.id }))!);
    });
  }

  update(orgId: string, flowId: string, dto: UpdateFlowDto): Promise<FlowResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const before = await loadFlowFor(em, orgId, flowId, 'update', true);
      const patch: Partial<FlowEntity> = {};
      if (dto.name !== undefined) patch.name = dto.name;
      if (dto.description !== undefined) patch.description = dto.description;
      if (!Object.keys(patch).length) return toFlowResponse(before);
      const after = (await flowsRepo.update(em, { orgId, id: flowId }, patch))!;
      await this.events.publish(em, {
        action: 'flow.updated',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: {
          before: { name: before.name, description: before.description },
          after: { name: after.name, description: after.description },
        },
      });
      return toFlowResponse(after);
    });
  }

  /** Soft delete: the flow disappears from every route and trigger; its versions and runs stay for retention. */
  remove(orgId: string, flowId: string): Promise<void> {
    return this.db.withOrg(orgId, async (em) => {
      const flow = await loadFlowFor(em, orgId, flowId, 'delete', true);
      await flowsRepo.update(em, { orgId, id: flowId }, { deletedAt: new Date(), enabled: false });
      await this.events.publish(em, {
        action: 'flow.deleted',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: { name: flow.name, projectId: flow.projectId },
      });
    });
  }

  /** Enabling makes webhooks and schedules run the published version; it needs one. */
  setEnabled(orgId: string, flowId: string, enabled: boolean): Promise<FlowResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const flow = await loadFlowFor(em, orgId, flowId, 'publish', true);
      if (enabled && flow.publishedVersion === null)
        throw new FlowsException('flow_not_published', 'Publish the flow before enabling it');
      const after = flow.enabled === enabled ? flow : (await flowsRepo.update(em, { orgId, id: flowId }, { enabled }))!;
      await this.events.publish(em, {
        action: enabled ? 'flow.enabled' : 'flow.disabled',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: { version: flow.publishedVersion, changed: flow.enabled !== enabled },
      });
      return toFlowResponse(after);
    });
  }
}

export function toFlowResponse(f: FlowEntity): FlowResponseDto {
  return {
    id: f.id,
    projectId: f.projectId,
    name: f.name,
    description: f.description,
    enabled: f.enabled,
    publishedVersion: f.publishedVersion,
    draftRevision: f.draftRevision,
    draftUpdatedAt: f.draftUpdatedAt.toISOString(),
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
  };
}
