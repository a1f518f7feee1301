import { RequestContextStore } from '../../core/context/request-context.js';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Action } from '../../core/authz/ability.js';
import { KeyRing } from '../../core/crypto/key-ring.js';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import type { FieldError } from '../../core/errors/app.exception.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { decodeCursor, pageLimit, toPage, type Page } from '../../core/http/pagination.js';
import { accessibleSql, canOn } from '../../core/http/policies.js';
import { currentActor } from './connection-actor.js';
import { ConnectionEntity } from './connection.entity.js';
import { connectionFields, connectionsRepo, openSecrets, secretsRef } from './connection-store.js';
import { mergeForPatch, presentData, validateConnectionData, type SplitData } from './connection-types.js';
import { ConnectionsException, connectionForbidden, connectionNotFound } from './connections.exception.js';
import type {
  ConnectionResponseDto,
  CreateConnectionDto,
  ListConnectionsQueryDto,
  UpdateConnectionDto,
} from './dto/connection.dto.js';

const invalid = (errors: FieldError[]) =>
  new ConnectionsException('validation_failed', 'The connection is invalid', { errors });
const isUniqueViolation = (e: unknown) =>
  (e as { code?: string }).code === '23505' || (e as { driverError?: { code?: string } }).driverError?.code === '23505';

/** CRUD of connections: secrets sealed per row (key ring, AAD) and never returned; every change an audit event. */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly keys: KeyRing,
  ) {}

  async list(orgId: string, q: ListConnectionsQueryDto): Promise<Page<ConnectionResponseDto>> {
    const limit = pageLimit(q);
    const before = decodeCursor(q.cursor);
    const params: unknown[] = [orgId];
    const where = ['org_id = $1'];
    let visible = accessibleSql(
      'read',
      'Connection',
      { projectId: 'project_id', id: 'id', scope: `(CASE WHEN project_id IS NULL THEN 'org' ELSE 'project' END)` },
      params,
    );
    // Embedded sessions also see (metadata only) the predefined org connections offered to their project.
    const embedded = RequestContextStore.get()?.principal;
    if (embedded?.type === 'embed' && embedded.projectId) {
      const pid = `$${params.push(embedded.projectId)}`;
      visible = `(${visible ?? 'false'} OR (project_id IS NULL AND predefined AND (allowed_project_ids IS NULL OR ${pid}::uuid = ANY(allowed_project_ids))))`;
    }
    if (visible) where.push(visible);
    if (q.projectId) where.push(`project_id = $${params.push(q.projectId)}`);
    if (before) where.push(`id < $${params.push(before)}`);
    const rows = await this.db.withOrg(orgId, (em) =>
      em
        .getRepository(ConnectionEntity)
        .createQueryBuilder('c')
        .where(
          where.join(' AND ').replace(/\$(\d+)/g, ':p$1'),
          Object.fromEntries(params.map((p, i) => [`p${i + 1}`, p])),
        )
        .orderBy('c.id', 'DESC')
        .limit(limit + 1)
        .getMany(),
    );
    return toPage(rows, limit, (r) => this.map(r));
  }

  async get(orgId: string, id: string): Promise<ConnectionResponseDto> {
    return this.db.withOrg(orgId, async (em) => this.map(await this.load(em, orgId, id, 'read')));
  }

  async create(orgId: string, dto: CreateConnectionDto): Promise<ConnectionResponseDto> {
    const projectId = dto.projectId ?? null;
    const fields = connectionFields({ orgId, id: '', projectId });
    if (!canOn('create', 'Connection', fields)) throw connectionForbidden();
    const { split, errors } = validateConnectionData(dto.type, dto.data);
    errors.push(...this.scopeErrors(projectId, dto.predefined ?? false, dto.allowedProjectIds ?? null));
    if (!split || errors.length) throw invalid(errors);
    return this.db.withOrg(orgId, async (em) => {
      await this.assertProjects(em, orgId, projectId, dto.allowedProjectIds ?? null);
      const id = uuidv7();
      const actor = currentActor();
      const row = Object.assign(new ConnectionEntity(), {
        id,
        orgId,
        projectId,
        name: dto.name,
        type: dto.type,
        predefined: dto.predefined ?? false,
        allowedProjectIds: dto.allowedProjectIds ?? null,
        settings: split.settings,
        secretData: await this.seal(orgId, id, split),
        tokenData: null,
        tokenExpiresAt: null,
        createdByType: actor.type,
        createdById: actor.id,
      });
      await this.insert(em, row);
      const saved = (await connectionsRepo.findOne(em, { orgId, id }))!;
      await this.events.publish(em, {
        action: 'connection.created',
        orgId,
        resourceType: 'connection',
        resourceId: id,
        metadata: { after: auditView(saved) },
        sensitiveValues: Object.values(split.secrets),
      });
      return this.map(saved);
    });
  }

  async update(orgId: string, id: string, dto: UpdateConnectionDto): Promise<ConnectionResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const row = await this.load(em, orgId, id, 'update', true);
      const before = auditView(row);
      const predefined = dto.predefined ?? row.predefined;
      const pins = dto.allowedProjectIds !== undefined ? dto.allowedProjectIds : row.allowedProjectIds;
      const errors = this.scopeErrors(row.projectId, predefined, predefined ? pins : null);
      let split: SplitData | undefined;
      if (dto.data) {
        const merged = mergeForPatch(row.type, row.settings, await openSecrets(this.keys, row), dto.data);
        const checked = validateConnectionData(row.type, merged);
        errors.push(...checked.errors);
        split = checked.split;
      }
      if (errors.length) throw invalid(errors);
      await this.assertProjects(em, orgId, null, predefined ? pins : null);
      const patch: Partial<ConnectionEntity> = {
        predefined,
        allowedProjectIds: predefined ? pins : null,
        updatedAt: new Date(),
      };
      if (dto.name !== undefined) patch.name = dto.name;
      if (split) {
        patch.settings = split.settings;
        patch.secretData = await this.seal(orgId, id, split);
        // New credentials invalidate tokens obtained with the old ones.
        if (row.type === 'oauth2') Object.assign(patch, { tokenData: null, tokenExpiresAt: null });
      }
      const saved = await this.save(em, orgId, id, patch);
      await this.events.publish(em, {
        action: 'connection.updated',
        orgId,
        resourceType: 'connection',
        resourceId: id,
        metadata: { before, after: auditView(saved), ...(split ? { dataChanged: true } : {}) },
        sensitiveValues: split ? Object.values(split.secrets) : undefined,
      });
      return this.map(saved);
    });
  }

  async remove(orgId: string, id: string): Promise<void> {
    await this.db.withOrg(orgId, async (em) => {
      const row = await this.load(em, orgId, id, 'delete', true);
      await connectionsRepo.delete(em, { orgId, id });
      await this.events.publish(em, {
        action: 'connection.deleted',
        orgId,
        resourceType: 'connection',
        resourceId: id,
        metadata: { before: auditView(row) },
      });
    });
  }

  /** Loads a connection the caller may `action`: one they cannot read is 404, one they read but may not act on 403. */
  async load(em: EntityManager, orgId: string, id: string, action: Action, lock = false): Promise<ConnectionEntity> {
    const row = await em
      .getRepository(ConnectionEntity)
      .findOne({ where: { orgId, id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!row || !canOn('read', 'Connection', connectionFields(row))) throw connectionNotFound();
    if (action !== 'read' && !canOn(action, 'Connection', connectionFields(row))) throw connectionForbidden();
    return row;
  }

  map(r: ConnectionEntity): ConnectionResponseDto {
    const dto: ConnectionResponseDto = {
      id: r.id,
      name: r.name,
      type: r.type,
      projectId: r.projectId,
      predefined: r.predefined,
      allowedProjectIds: r.allowedProjectIds,
      data: presentData(r.type, r.settings, !!r.secretData),
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
    if (r.type === 'oauth2')
      dto.oauth2 = { connected: !!r.tokenData, expiresAt: r.tokenExpiresAt?.toISOString() ?? null };
    return dto;
  }

  private seal(orgId: string, id: string, split: SplitData): Promise<string | null> {
    return Object.keys(split.secrets).length
      ? this.keys.seal(secretsRef(orgId, id), JSON.stringify(split.secrets))
      : Promise.resolve(null);
  }

  private scopeErrors(projectId: string | null, predefined: boolean, pins: string[] | null): FieldError[] {
    const errors: FieldError[] = [];
    if (predefined && projectId)
      errors.push({ path: 'predefined', message: 'only org connections (no projectId) can be predefined' });
    if (pins && !predefined)
      errors.push({ path: 'allowedProjectIds', message: 'only predefined connections are pinned to projects' });
    return errors;
  }

  private async assertProjects(
    em: EntityManager,
    orgId: string,
    projectId: string | null,
    pins: string[] | null,
  ): Promise<void> {
    const ids = [...new Set([...(projectId ? [projectId] : []), ...(pins ?? [])])];
    if (!ids.length) return;
    const found = (await em.query(`SELECT id FROM project WHERE org_id = $1 AND id = ANY($2)`, [orgId, ids])) as {
      id: string;
    }[];
    if (found.length !== ids.length) throw new ConnectionsException('project_not_found', 'Project not found');
  }

  private async insert(em: EntityManager, row: ConnectionEntity): Promise<void> {
    try {
      await em.query('SAVEPOINT connection_insert');
      await connectionsRepo.insert(em, row);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      await em.query('ROLLBACK TO SAVEPOINT connection_insert');
      throw new ConnectionsException(
        'connection_name_taken',
        'A connection with this name already exists in this scope',
      );
    }
  }

  private async save(
    em: EntityManager,
    orgId: string,
    id: string,
    patch: Partial<ConnectionEntity>,
  ): Promise<ConnectionEntity> {
    try {
      await em.query('SAVEPOINT connection_update');
      return (await connectionsRepo.update(em, { orgId, id }, patch))!;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      await em.query('ROLLBACK TO SAVEPOINT connection_update');
      throw new ConnectionsException(
        'connection_name_taken',
        'A connection with this name already exists in this scope',
      );
    }
  }
}

/** Audit view: everything but secrets (set or not). Not under `data`, a name the audit writer masks whole. */
export function auditView(r: ConnectionEntity): Record<string, unknown> {
  return {
    name: r.name,
    type: r.type,
    projectId: r.projectId,
    predefined: r.predefined,
    allowedProjectIds: r.allowedProjectIds,
    settings: presentData(r.type, r.settings, !!r.secretData),
  };
}
