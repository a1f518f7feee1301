import { Injectable } from '@nestjs/common';
import { RequestContextStore } from '../../core/context/request-context.js';
import { Database } from '../../core/database/database.js';
import type { Page, PageQueryDto } from '../../core/http/pagination.js';
import { accessibleWhere, canOn } from '../../core/http/policies.js';
import {
  ApiKeysService,
  IdentityException,
  RolesService,
  type ApiKeyEntity,
  type ApiKeyResponseDto,
  type CreateApiKeyDto,
  type CreatedApiKeyResponseDto,
  type RotateApiKeyDto,
  type UpdateApiKeyDto,
} from '../identity/index.js';
import { ProjectEntity, TenancyException } from '../tenancy/index.js';
import { GrantsService } from './grants.service.js';

const notFound = () => new IdentityException('api_key_not_found', 'API key not found');
const fields = (k: ApiKeyEntity) => ({
  orgId: k.orgId,
  id: k.id,
  ownerUserId: k.ownerUserId,
  projectId: k.projectId,
  role: k.role,
});

/**
 * The API keys API. A new key is capped at creation by the caller's own ability (role, project limit and scopes
 * compared rule by rule) and bound to the caller's user as its authority, whose current rights it is re-checked
 * against on every use (see `AbilityFactory.keyWithinAuthority`).
 */
@Injectable()
export class ApiKeysAdminService {
  constructor(
    private readonly db: Database,
    private readonly keys: ApiKeysService,
    private readonly roles: RolesService,
    private readonly grants: GrantsService,
  ) {}

  list(q: PageQueryDto): Promise<Page<ApiKeyResponseDto>> {
    return this.keys.list(RequestContextStore.requireOrgId(), q, accessibleWhere('read', 'ApiKey'));
  }

  async get(id: string): Promise<ApiKeyResponseDto> {
    const key = await this.keys.get(RequestContextStore.requireOrgId(), id);
    if (!canOn('read', 'ApiKey', fields(key))) throw notFound();
    return this.keys.map(key);
  }

  create(dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const { principal } = this.grants.actor();
    const orgId = principal.orgId;
    return this.grants.audited('api_key', () =>
      this.db.withOrg(orgId, async (em) => {
        await this.roles.assertAssignable(em, orgId, dto.role);
        if (dto.projectId && !(await em.getRepository(ProjectEntity).existsBy({ orgId, id: dto.projectId }))) {
          throw new TenancyException('project_not_found', 'Project not found');
        }
        await this.grants.assertScopesWithinRole(dto);
        await this.grants.assertCanGrantKey(dto);
        const { entity, key } = await this.keys.insert(em, {
          orgId,
          name: dto.name,
          role: dto.role,
          projectId: dto.projectId ?? null,
          scopes: dto.scopes ?? null,
          expiresAt: dto.expiresAt ?? null,
          createdByType: principal.type === 'api_key' ? 'api_key' : 'user',
          createdById: principal.id,
          ownerUserId: this.grants.authorityFor(principal),
        });
        return { ...this.keys.map(entity), key };
      }),
    );
  }

  async rename(id: string, dto: UpdateApiKeyDto): Promise<ApiKeyResponseDto> {
    const entity = await this.grants.audited('api_key', () =>
      this.keys.rename(RequestContextStore.requireOrgId(), id, dto.name, (k) => this.mayChange('update', k)),
    );
    return this.keys.map(entity);
  }

  /** Rotation hands out the key's power, so the caller must be able to grant the key as well as rotate it. */
  async rotate(id: string, dto: RotateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const { entity, key } = await this.grants.audited('api_key', () =>
      this.keys.rotate(RequestContextStore.requireOrgId(), id, dto.gracePeriodSeconds ?? 0, async (k) => {
        this.mayChange('rotate', k);
        await this.grants.assertCanGrantKey(k);
      }),
    );
    return { ...this.keys.map(entity), key };
  }

  revoke(id: string): Promise<void> {
    return this.grants.audited('api_key', () =>
      this.keys.revoke(RequestContextStore.requireOrgId(), id, (k) => this.mayChange('delete', k)),
    );
  }

  private mayChange(action: 'update' | 'rotate' | 'delete', k: ApiKeyEntity): void {
    if (!canOn(action, 'ApiKey', fields(k))) throw notFound();
    this.grants.assertCanActOn(k.role, 'a key');
  }
}
