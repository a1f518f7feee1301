import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '../../core/database/database.js';
import { TenantScopedRepository } from '../../core/database/tenant-scoped.repository.js';
import { OrgsService } from '../tenancy/index.js';
import type { ProviderSpec } from './provider-factory.js';
import { ProviderCredentials } from './provider-credentials.js';
import { SecretProviderEntity } from './secret-provider.entity.js';

/** A provider as the resolver needs it: its spec (credentials opened) and a version that changes with any edit. */
export interface LoadedProvider {
  spec: ProviderSpec;
  version: string;
}

/** Data access for secret providers; every query is scoped to the org (and row-level security underneath). */
@Injectable()
export class SecretProvidersStore {
  readonly repo = new TenantScopedRepository(SecretProviderEntity);

  constructor(
    private readonly db: Database,
    private readonly orgs: OrgsService,
    private readonly credentials: ProviderCredentials,
  ) {}

  withOrg<T>(orgId: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.withOrg(orgId, fn);
  }

  findByName(orgId: string, name: string): Promise<SecretProviderEntity | null> {
    return this.db.withOrg(orgId, (em) => this.repo.findOne(em, { orgId, name }));
  }

  /** The provider `name` of `orgId` with its credentials opened, or null when the org has none by that name. */
  async load(orgId: string, name: string): Promise<LoadedProvider | null> {
    const row = await this.findByName(orgId, name);
    if (!row) return null;
    const allowlist = await this.allowlist(orgId);
    const auth = row.authCiphertext ? await this.credentials.open(orgId, row.id, row.authCiphertext) : undefined;
    return {
      spec: { type: row.type, config: row.config, auth, allowlist },
      version: `${row.id}:${row.updatedAt.getTime()}:${allowlist.join(',')}`,
    };
  }

  private async allowlist(orgId: string): Promise<string[]> {
    const settings = (await this.orgs.get(orgId)).settings ?? {};
    const list = (settings as { egressAllowlist?: unknown }).egressAllowlist;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  }
}
