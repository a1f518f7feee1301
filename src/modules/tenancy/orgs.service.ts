import { Injectable } from '@nestjs/common';
import { LessThan, type EntityManager } from 'typeorm';
import { UUID_RE, uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { toPage, type Page } from '../../core/http/pagination.js';
import type { OrgResponseDto, SetOrgStatusDto, UpdateOrgDto } from './dto/org.dto.js';
import { OrganizationEntity } from './organization.entity.js';
import { applyPlatformSettings, readPlatformSettings, type OrgPlatformSettings } from './org-settings.js';
import { TenancyException } from './tenancy.exception.js';

const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';

@Injectable()
export class OrgsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {}

  /** Platform: creates an org inside the caller's system transaction (the owner key is created in the same one). */
  async create(em: EntityManager, input: { name: string; slug: string }): Promise<OrganizationEntity> {
    const org = Object.assign(new OrganizationEntity(), {
      id: uuidv7(),
      name: input.name,
      slug: input.slug,
      status: 'active' as const,
      settings: {},
    });
    try {
      await em.getRepository(OrganizationEntity).insert(org);
    } catch (e) {
      if (isUniqueViolation(e))
        throw new TenancyException('org_slug_taken', `An organization with slug "${input.slug}" exists`);
      throw e;
    }
    await this.events.publish(em, {
      action: 'org.created',
      orgId: org.id,
      resourceType: 'org',
      resourceId: org.id,
      metadata: { slug: org.slug },
    });
    return await em.getRepository(OrganizationEntity).findOneByOrFail({ id: org.id });
  }

  async get(orgId: string): Promise<OrganizationEntity> {
    const [row] = await this.db.readOrg<{
      id: string;
      slug: string;
      name: string;
      status: OrganizationEntity['status'];
      settings: Record<string, unknown>;
      created_at: Date;
      updated_at: Date;
    }>(orgId, 'SELECT id, slug, name, status, settings, created_at, updated_at FROM organization WHERE id = $1', [
      orgId,
    ]);
    if (!row) throw new TenancyException('org_not_found', 'Organization not found');
    return Object.assign(new OrganizationEntity(), { ...row, createdAt: row.created_at, updatedAt: row.updated_at });
  }

  /** The operator-set egress allowlist and run limits (read fresh: callers check egress on every call). */
  async platformSettings(orgId: string): Promise<OrgPlatformSettings> {
    const [row] = await this.db.readOrg<{ settings: Record<string, unknown> | null }>(
      orgId,
      'SELECT settings FROM organization WHERE id = $1',
      [orgId],
    );
    if (!row) throw new TenancyException('org_not_found', 'Organization not found');
    return readPlatformSettings(row.settings);
  }

  update(orgId: string, dto: UpdateOrgDto): Promise<OrganizationEntity> {
    return this.db.withOrg(orgId, async (em) => {
      const repo = em.getRepository(OrganizationEntity);
      const before = await repo.findOneBy({ id: orgId });
      if (!before) throw new TenancyException('org_not_found', 'Organization not found');
      if (dto.name !== undefined) await repo.update({ id: orgId }, { name: dto.name });
      const after = await repo.findOneByOrFail({ id: orgId });
      await this.events.publish(em, {
        action: 'org.updated',
        orgId,
        resourceType: 'org',
        resourceId: orgId,
        metadata: { before: { name: before.name }, after: { name: after.name } },
      });
      return after;
    });
  }

  /** Platform: every org, newest first. */
  listAll(limit: number, beforeId?: string): Promise<Page<OrgResponseDto>> {
    return this.db.withSystem(async (em) => {
      const rows = await em.getRepository(OrganizationEntity).find({
        where: beforeId ? { id: LessThan(beforeId) } : {},
        order: { id: 'DESC' },
        take: limit + 1,
      });
      return toPage(rows, limit, (o) => this.map(o));
    });
  }

  /**
   * Platform: suspend or reactivate (a suspended org's credentials and webhooks are refused), rename, and set the
   * egress allowlist and run limits. `org.updated` (before and after) also tells every instance to drop its cached
   * copy of the org's runtime facts, so a change applies to the next run.
   */
  patchAsPlatform(orgId: string, dto: SetOrgStatusDto): Promise<OrganizationEntity> {
    return this.db.withSystem(async (em) => {
      const repo = em.getRepository(OrganizationEntity);
      const before = await repo.findOne({ where: { id: orgId }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw new TenancyException('org_not_found', 'Organization not found');
      const patch: Partial<OrganizationEntity> = {};
      if (dto.status) patch.status = dto.status;
      if (dto.name) patch.name = dto.name;
      if (dto.settings) patch.settings = applyPlatformSettings(before.settings, dto.settings);
      if (Object.keys(patch).length) await repo.update({ id: orgId }, patch);
      const after = await repo.findOneByOrFail({ id: orgId });
      const view = (o: OrganizationEntity) => ({
        status: o.status,
        name: o.name,
        settings: readPlatformSettings(o.settings),
      });
      await this.events.publish(em, {
        action: 'org.updated',
        orgId,
        resourceType: 'org',
        resourceId: orgId,
        metadata: { before: view(before), after: view(after) },
      });
      return after;
    });
  }

  /** Pre-tenant lookup of an org named by id or slug (an embed token's `iss`). */
  findByIdOrSlug(ref: string): Promise<OrganizationEntity | null> {
    return this.db.withSystem((em) =>
      em.getRepository(OrganizationEntity).findOneBy(UUID_RE.test(ref) ? { id: ref } : { slug: ref }),
    );
  }

  /** Pre-tenant lookup (sign-in URLs carry the slug). */
  findBySlug(slug: string): Promise<OrganizationEntity | null> {
    return this.db.withSystem((em) => em.getRepository(OrganizationEntity).findOneBy({ slug }));
  }

  /** `withSettings`: the operator-set allowlist and limits (platform operator, the org's admins). */
  map(o: OrganizationEntity, withSettings = false): OrgResponseDto {
    const base = { id: o.id, slug: o.slug, name: o.name, status: o.status, createdAt: o.createdAt.toISOString() };
    return withSettings ? { ...base, settings: readPlatformSettings(o.settings) } : base;
  }
}
