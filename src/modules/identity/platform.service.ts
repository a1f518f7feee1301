import { Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database.js';
import { OrgsService, type OrgResponseDto } from '../tenancy/index.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';

export interface CreatedOrg {
  org: Pick<OrgResponseDto, 'id' | 'slug' | 'name'>;
  ownerApiKey: { id: string; key: string };
}

/** Platform operations that span tenancy and identity: an org is born with its owner key, atomically. */
@Injectable()
export class PlatformService {
  constructor(
    private readonly db: Database,
    private readonly orgs: OrgsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  createOrg(
    input: { name: string; slug: string },
    createdBy: { type: 'platform' | 'system'; id: string | null },
  ): Promise<CreatedOrg> {
    return this.db.withSystem(async (em) => {
      const org = await this.orgs.create(em, input);
      const { entity, key } = await this.apiKeys.insert(em, {
        orgId: org.id,
        name: 'Owner key',
        role: 'owner',
        createdByType: createdBy.type,
        createdById: createdBy.id,
      });
      return { org: { id: org.id, slug: org.slug, name: org.name }, ownerApiKey: { id: entity.id, key } };
    });
  }
}
