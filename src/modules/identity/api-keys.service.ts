import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { displayPrefix, mintKey } from './key-format.js';

export interface NewApiKey {
  orgId: string;
  name: string;
  role: string;
  projectId?: string | null;
  scopes?: string[] | null;
  expiresAt?: Date | null;
  createdByType: 'user' | 'api_key' | 'platform' | 'system';
  createdById?: string | null;
}

@Injectable()
export class ApiKeysService {
  constructor(private readonly events: DomainEventBus) {}

  /** Inserts a key inside the caller's transaction and returns the full credential (shown once). */
  async insert(em: EntityManager, input: NewApiKey): Promise<{ entity: ApiKeyEntity; key: string }> {
    const minted = mintKey('tfk');
    const entity = Object.assign(new ApiKeyEntity(), {
      id: uuidv7(), orgId: input.orgId, publicId: minted.publicId, secretHash: minted.secretHash, previousSecretHash: null,
      previousValidUntil: null, name: input.name, role: input.role, projectId: input.projectId ?? null, scopes: input.scopes ?? null,
      expiresAt: input.expiresAt ?? null, revokedAt: null, createdByType: input.createdByType, createdById: input.createdById ?? null,
      lastUsedAt: null,
    });
    await em.getRepository(ApiKeyEntity).insert(entity);
    await this.events.publish(em, {
      action: 'api_key.created', orgId: input.orgId, resourceType: 'api_key', resourceId: entity.id,
      metadata: { name: input.name, role: input.role, projectId: entity.projectId, scopes: entity.scopes, prefix: displayPrefix('tfk', minted.publicId) },
    });
    return { entity, key: minted.key };
  }
}
