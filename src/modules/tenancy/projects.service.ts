import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { isoTimestamp } from '../../core/database/sql.js';
import { TenantScopedRepository } from '../../core/database/tenant-scoped.repository.js';
import { accessibleSql } from '../../core/http/policies.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { pageOf, type Page, type PageQueryDto } from '../../core/http/pagination.js';
import type { CreateProjectDto, ProjectResponseDto, UpdateProjectDto } from './dto/project.dto.js';
import { ProjectEntity } from './project.entity.js';
import { TenancyException } from './tenancy.exception.js';

const projects = new TenantScopedRepository(ProjectEntity);
const notFound = () => new TenancyException('project_not_found', 'Project not found');
const nameTaken = (name: string) => new TenancyException('project_name_taken', `A project named "${name}" exists`);
const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';

const COLUMNS = `id, name, description, ${isoTimestamp('created_at')} AS "createdAt", ${isoTimestamp('updated_at')} AS "updatedAt"`;
type ProjectRow = ProjectResponseDto;
const mapRow = (r: ProjectRow): ProjectResponseDto => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

@Injectable()
export class ProjectsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {}

  /** Newest first, filtered in SQL by what the caller's ability may read. One round trip (hot path). */
  async list(orgId: string, q: PageQueryDto): Promise<Page<ProjectResponseDto>> {
    return pageOf(
      q,
      (limit, before) => {
        const params: unknown[] = [orgId];
        const conditions = ['org_id = $1'];
        const visible = accessibleSql('read', 'Project', { id: 'id' }, params);
        if (visible) conditions.push(visible);
        if (before) conditions.push(`id < $${params.push(before)}`);
        return this.db.readOrg<ProjectRow>(
          orgId,
          `SELECT ${COLUMNS} FROM project WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT $${params.push(limit + 1)}`,
          params,
        );
      },
      mapRow,
    );
  }

  async get(orgId: string, id: string): Promise<ProjectResponseDto> {
    const [row] = await this.db.readOrg<ProjectRow>(
      orgId,
      `SELECT ${COLUMNS} FROM project WHERE org_id = $1 AND id = $2`,
      [orgId, id],
    );
    if (!row) throw notFound();
    return mapRow(row);
  }

  create(orgId: string, dto: CreateProjectDto): Promise<ProjectResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const row = Object.assign(new ProjectEntity(), {
        id: uuidv7(),
        orgId,
        name: dto.name,
        description: dto.description ?? null,
      });
      try {
        await projects.insert(em, row);
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(dto.name);
        throw e;
      }
      const saved = (await projects.findOne(em, { orgId, id: row.id }))!;
      await this.events.publish(em, {
        action: 'project.created',
        orgId,
        resourceType: 'project',
        resourceId: row.id,
        metadata: { name: dto.name },
      });
      return this.map(saved);
    });
  }

  update(orgId: string, id: string, dto: UpdateProjectDto): Promise<ProjectResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const before = await projects.findOne(em, { orgId, id });
      if (!before) throw notFound();
      const patch: Partial<ProjectEntity> = {};
      if (dto.name !== undefined) patch.name = dto.name;
      if (dto.description !== undefined) patch.description = dto.description;
      let after = before;
      if (Object.keys(patch).length) {
        try {
          after = (await projects.update(em, { orgId, id }, patch))!;
        } catch (e) {
          if (isUniqueViolation(e)) throw nameTaken(dto.name ?? before.name);
          throw e;
        }
      }
      await this.events.publish(em, {
        action: 'project.updated',
        orgId,
        resourceType: 'project',
        resourceId: id,
        metadata: {
          before: { name: before.name, description: before.description },
          after: { name: after.name, description: after.description },
        },
      });
      return this.map(after);
    });
  }

  remove(orgId: string, id: string): Promise<void> {
    return this.db.withOrg(orgId, async (em) => {
      if (!(await projects.delete(em, { orgId, id }))) throw notFound();
      await this.events.publish(em, { action: 'project.deleted', orgId, resourceType: 'project', resourceId: id });
    });
  }

  private map(p: ProjectEntity): ProjectResponseDto {
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    };
  }

  /**
   * The project an embed token's `externalProjectId` names, created on first use inside the caller's transaction.
   * Its name says where it came from; a clash with an existing name gets a short suffix.
   */
  async provisionExternal(em: EntityManager, orgId: string, externalId: string): Promise<string> {
    const find = async () =>
      (
        (await em.query(`SELECT id FROM project WHERE org_id = $1 AND external_id = $2`, [orgId, externalId])) as {
          id: string;
        }[]
      )[0]?.id;
    const found = await find();
    if (found) return found;
    for (const name of [
      `Embedded ${externalId}`.slice(0, 200),
      `Embedded ${externalId}`.slice(0, 180) + ` ${uuidv7().slice(-8)}`,
    ]) {
      const id = uuidv7();
      const rows = (await em.query(
        `INSERT INTO project (id, org_id, name, external_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id`,
        [id, orgId, name, externalId],
      )) as { id: string }[];
      if (rows.length) {
        await this.events.publish(em, {
          action: 'project.created',
          orgId,
          resourceType: 'project',
          resourceId: id,
          metadata: { name, external: true },
        });
        return id;
      }
      const raced = await find();
      if (raced) return raced;
    }
    throw new TenancyException('project_conflict', 'Could not provision the embedded project');
  }
}
