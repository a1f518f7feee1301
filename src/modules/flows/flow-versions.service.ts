import { Injectable } from '@nestjs/common';
import { LessThan, type EntityManager } from 'typeorm';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { TenantScopedRepository } from '../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { CommonException } from '../../core/errors/app.exception.js';
import { pageLimit, type Page, type PageQueryDto } from '../../core/http/pagination.js';
import { CURRENT_SCHEMA_VERSION, type FlowDefinition } from './definition/index.js';
import { definitionHash } from './domain/canonical-json.js';
import type { FlowVersionDto, FlowVersionSummaryDto, PublishedVersionDto } from './dto/version.dto.js';
import { currentActor, flowsRepo, loadFlowFor } from './flow-access.js';
import { FlowDefinitionsService } from './flow-definitions.service.js';
import { FlowVersionEntity } from './flow-version.entity.js';
import type { FlowEntity } from './flow.entity.js';
import { FlowsException } from './flows.exception.js';

export const versionsRepo = new TenantScopedRepository(FlowVersionEntity);
const encodeVersionCursor = (v: number): string => Buffer.from(`v${v}`).toString('base64url');

function decodeVersionCursor(cursor: string | undefined): number | undefined {
  if (!cursor) return undefined;
  const m = /^v([1-9][0-9]{0,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m)
    throw new CommonException('validation_failed', 'Invalid cursor', {
      errors: [{ path: 'cursor', message: 'invalid cursor' }],
    });
  return Number(m[1]);
}

export const versionNotFound = (): FlowsException =>
  new FlowsException('flow_version_not_found', 'Flow version not found');

/** Publishing, rollback and reading of immutable versions. */
@Injectable()
export class FlowVersionsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly definitions: FlowDefinitionsService,
  ) {}

  /** Validates the draft fully and freezes it as the next version number. */
  publish(orgId: string, flowId: string, message?: string): Promise<PublishedVersionDto> {
    return this.db.withOrg(orgId, async (em) => {
      const flow = await loadFlowFor(em, orgId, flowId, 'publish', true);
      const definition = this.definitions.read(flow.draft);
      await this.definitions.assertPublishable(em, definition, { orgId, projectId: flow.projectId });
      const version = await this.freeze(em, flow, definition, { message: message ?? null, rolledBackFrom: null });
      await this.events.publish(em, {
        action: 'flow.published',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: { version, draftRevision: flow.draftRevision, nodes: definition.nodes.length },
      });
      return { version };
    });
  }

  /** Publishes a new version whose definition equals `version`'s (the draft is left as it is). */
  rollback(orgId: string, flowId: string, version: number, message?: string): Promise<PublishedVersionDto> {
    return this.db.withOrg(orgId, async (em) => {
      const flow = await loadFlowFor(em, orgId, flowId, 'publish', true);
      const source = await versionsRepo.findOne(em, { orgId, flowId, version });
      if (!source) throw versionNotFound();
      const definition = this.definitions.read(source.definition);
      // Node types or connections may have gone since that version was published.
      await this.definitions.assertPublishable(em, definition, { orgId, projectId: flow.projectId });
      const created = await this.freeze(em, flow, definition, {
        message: message ?? `Rollback to version ${version}`,
        rolledBackFrom: version,
      });
      await this.events.publish(em, {
        action: 'flow.rolled_back',
        orgId,
        resourceType: 'flow',
        resourceId: flowId,
        metadata: { version: created, rolledBackFrom: version, previousVersion: flow.publishedVersion },
      });
      return { version: created };
    });
  }

  /** Newest first by version number (the cursor is the last version seen). */
  list(orgId: string, flowId: string, q: PageQueryDto): Promise<Page<FlowVersionSummaryDto>> {
    const limit = pageLimit(q);
    const below = decodeVersionCursor(q.cursor);
    return this.db.withOrg(orgId, async (em) => {
      await loadFlowFor(em, orgId, flowId, 'read');
      const rows = await em.getRepository(FlowVersionEntity).find({
        where: { orgId, flowId, ...(below ? { version: LessThan(below) } : {}) },
        order: { version: 'DESC' },
        take: limit + 1,
      });
      const more = rows.length > limit;
      const items = rows.slice(0, limit);
      return {
        items: items.map((v) => this.summary(v)),
        nextCursor: more ? encodeVersionCursor(items.at(-1)!.version) : null,
      };
    });
  }

  get(orgId: string, flowId: string, version: number): Promise<FlowVersionDto> {
    return this.db.withOrg(orgId, async (em) => {
      await loadFlowFor(em, orgId, flowId, 'read');
      const row = await versionsRepo.findOne(em, { orgId, flowId, version });
      if (!row) throw versionNotFound();
      const definition = this.definitions.present(this.definitions.read(row.definition));
      return { ...this.summary(row), flowId, definition: definition as unknown as Record<string, unknown> };
    });
  }

  /**
   * Takes the next number under the flow's row lock (held by the caller), so concurrent publishes get consecutive
   * numbers; the unique (flow_id, version) constraint is the backstop.
   */
  private async freeze(
    em: EntityManager,
    flow: FlowEntity,
    definition: FlowDefinition,
    extra: { message: string | null; rolledBackFrom: number | null },
  ): Promise<number> {
    const [{ next }] = await em.query(
      `SELECT coalesce(max(version), 0) + 1 AS next FROM flow_version WHERE flow_id = $1`,
      [flow.id],
    );
    const actor = currentActor();
    const row = Object.assign(new FlowVersionEntity(), {
      id: uuidv7(),
      orgId: flow.orgId,
      flowId: flow.id,
      version: Number(next),
      schemaVersion: CURRENT_SCHEMA_VERSION,
      definition,
      definitionHash: definitionHash(definition),
      message: extra.message,
      rolledBackFrom: extra.rolledBackFrom,
      createdByType: actor.type,
      createdById: actor.id,
    });
    await versionsRepo.insert(em, row);
    await flowsRepo.update(em, { orgId: flow.orgId, id: flow.id }, { publishedVersion: row.version });
    return row.version;
  }

  private summary(v: FlowVersionEntity): FlowVersionSummaryDto {
    return {
      version: v.version,
      message: v.message,
      rolledBackFrom: v.rolledBackFrom,
      schemaVersion: v.schemaVersion,
      createdBy: { type: v.createdByType, id: v.createdById },
      createdAt: v.createdAt.toISOString(),
    };
  }
}
