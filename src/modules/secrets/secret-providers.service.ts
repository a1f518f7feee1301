import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { CommonException } from '../../core/errors/app.exception.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.js';
import { ProviderFactory } from './provider-factory.js';
import { ProviderCredentials } from './provider-credentials.js';
import { authSummary, parseProviderDefinition, PROVIDER_NAME_RE, type ProviderDefinition } from './provider-config.js';
import type {
  PutSecretProviderDto,
  SecretProviderResponseDto,
  SecretProviderTestResultDto,
  TestSecretProviderDto,
} from './secret-provider.dto.js';
import { SecretProviderEntity } from './secret-provider.entity.js';
import { SecretProvidersStore } from './secret-providers.store.js';
import { SecretResolverService } from './secret-resolver.service.js';
import { assertReferenceShape, pickValue } from './secret-reference.js';
import { explainReason, ProviderFailure, SecretsException } from './secrets.exception.js';

/** Admin management of an org's secret providers: validated, credentials sealed and never returned, changes audited. */
@Injectable()
export class SecretProvidersService {
  constructor(
    private readonly store: SecretProvidersStore,
    private readonly credentials: ProviderCredentials,
    private readonly factory: ProviderFactory,
    private readonly resolver: SecretResolverService,
    private readonly events: DomainEventBus,
  ) {}

  list(orgId: string, limit: number, cursor?: string): Promise<Page<SecretProviderResponseDto>> {
    const before = decodeCursor(cursor);
    return this.store.withOrg(orgId, async (em) =>
      toPage(await this.store.repo.page(em, { orgId }, limit, before), limit, (r) => this.map(r)),
    );
  }

  async put(orgId: string, name: string, dto: PutSecretProviderDto): Promise<SecretProviderResponseDto> {
    this.assertName(name);
    const def = parseProviderDefinition(dto.type, dto.config, dto.auth);
    const row = await this.store.withOrg(orgId, (em) => this.upsert(em, orgId, name, def, dto.auth !== undefined));
    this.resolver.forget(orgId, name);
    return this.map(row);
  }

  async remove(orgId: string, name: string): Promise<void> {
    await this.store.withOrg(orgId, async (em) => {
      const existing = await this.store.repo.findOne(em, { orgId, name });
      if (!existing) throw notFound();
      await this.store.repo.delete(em, { orgId, id: existing.id });
      await this.events.publish(em, {
        action: 'secret_provider.deleted',
        orgId,
        resourceType: 'secret_provider',
        resourceId: existing.id,
        metadata: { name, before: this.auditView(existing) },
      });
    });
    this.resolver.forget(orgId, name);
  }

  /** Connects with a fresh client (nothing cached) and optionally reads one path; answers ok or a reason, never a value. */
  async test(orgId: string, name: string, dto: TestSecretProviderDto): Promise<SecretProviderTestResultDto> {
    if (!PROVIDER_NAME_RE.test(name)) throw notFound();
    const loaded = await this.store.load(orgId, name);
    if (!loaded) throw notFound();
    let provider;
    try {
      provider = this.factory.create(loaded.spec);
    } catch (e) {
      return failed(e instanceof ProviderFailure ? e.reason : 'misconfigured');
    }
    try {
      const result = await provider.test();
      if (!result.ok || !dto.path) return result.ok ? { ok: true } : failed(result.reason ?? 'unavailable');
      assertReferenceShape(loaded.spec.type, { provider: name, path: dto.path, key: dto.key });
      pickValue(await provider.getSecret(dto.path), dto.key);
      return { ok: true };
    } catch (e) {
      return failed(e instanceof ProviderFailure ? e.reason : 'unavailable');
    } finally {
      provider.dispose();
    }
  }

  private async upsert(
    em: EntityManager,
    orgId: string,
    name: string,
    def: ProviderDefinition,
    authGiven: boolean,
  ): Promise<SecretProviderEntity> {
    const existing = await this.store.repo.findOne(em, { orgId, name });
    const keepAuth = !authGiven && existing?.type === def.type && existing.authCiphertext !== null;
    this.assertCredentials(def, keepAuth);
    const id = existing?.id ?? uuidv7();
    const sealed = def.auth
      ? await this.credentials.seal(orgId, id, def.auth)
      : keepAuth
        ? existing!.authCiphertext
        : null;
    const authMethod = def.auth || !keepAuth ? authSummary(def.type, def.auth) : existing!.authMethod;
    const fields = { type: def.type, config: def.config, authMethod, authCiphertext: sealed };
    let row: SecretProviderEntity;
    if (existing) {
      row = (await this.store.repo.update(em, { orgId, id }, { ...fields, updatedAt: new Date() }))!;
    } else {
      await this.store.repo.insert(em, Object.assign(new SecretProviderEntity(), { id, orgId, name, ...fields }));
      row = (await this.store.repo.findOne(em, { orgId, id }))!;
    }
    await this.events.publish(em, {
      action: 'secret_provider.updated',
      orgId,
      resourceType: 'secret_provider',
      resourceId: id,
      metadata: {
        name,
        before: existing ? this.auditView(existing) : null,
        after: this.auditView(row),
        credentialsChanged: !!def.auth,
      },
    });
    return row;
  }

  private assertCredentials(def: ProviderDefinition, keepAuth: boolean): void {
    const missing =
      def.type === 'vault'
        ? !def.auth && !keepAuth
        : def.type === 'aws' && !def.auth && !keepAuth && !this.factory.awsDefaultChainAllowed;
    if (!missing) return;
    const message =
      def.type === 'vault'
        ? 'auth is required for vault'
        : 'auth (static credentials) is required: the operator has not enabled the default AWS credential chain';
    throw new CommonException('validation_failed', 'The secret provider is invalid', {
      errors: [{ path: 'auth', message }],
    });
  }

  private assertName(name: string): void {
    if (!PROVIDER_NAME_RE.test(name)) {
      throw new CommonException('validation_failed', 'The secret provider is invalid', {
        errors: [
          { path: 'name', message: 'name must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' },
        ],
      });
    }
  }

  /** Audit view: the public config (a CA bundle only as a flag) and how it authenticates; never credentials. */
  private auditView(row: SecretProviderEntity): Record<string, unknown> {
    const { caCert, ...config } = row.config as Record<string, unknown>;
    return { type: row.type, config: { ...config, ...(caCert ? { customCa: true } : {}) }, authMethod: row.authMethod };
  }

  private map(row: SecretProviderEntity): SecretProviderResponseDto {
    return {
      name: row.name,
      type: row.type,
      config: { ...(row.config as Record<string, unknown>) },
      authMethod: row.authMethod,
      hasCredentials: row.authCiphertext !== null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

const notFound = () => new SecretsException('secret_provider_not_found', 'Secret provider not found');
const failed = (reason: ProviderFailure['reason']): SecretProviderTestResultDto => ({
  ok: false,
  reason,
  detail: explainReason(reason),
});
