import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../../../core/config/app-config.js';
import { RequestContextStore } from '../../../../core/context/request-context.js';
import { uuidv7 } from '../../../../core/crypto/tokens.js';
import { CommonException } from '../../../../core/errors/app.exception.js';
import { Database } from '../../../../core/database/database.js';
import { TenantScopedRepository } from '../../../../core/database/tenant-scoped.repository.js';
import { DomainEventBus } from '../../../../core/events/domain-events.js';
import { OrgsService } from '../../../tenancy/index.js';
import { KeyRing } from '../../../../core/crypto/key-ring.js';
import type { EncryptedColumn } from '../../../../core/crypto/key-rotation.js';
import { SsoConfigEntity } from '../sso-config.entity.js';
import { SsoException } from '../sso.exception.js';
import type { OidcSettings, SamlSettings, SsoConfigRecord, SsoProtocol } from '../sso.types.js';
import { SsoUrls } from '../sso-urls.js';
import { OidcClients } from '../oidc/oidc-clients.js';
import type {
  OidcConfigResponseDto,
  PutOidcConfigDto,
  PutSamlConfigDto,
  SamlConfigResponseDto,
} from './sso-config.dto.js';
import { toOidcSettings, toSamlSettings } from './sso-config.validation.js';

/** Client secrets sealed before the shared key ring (master key, this context) still open until `keys:rotate`. */
const legacyContext = (orgId: string): string => `sso:oidc:client_secret:${orgId}`;
const secretRef = (orgId: string, rowId: string) => ({ orgId, table: 'sso_config', rowId, field: 'client_secret' });

export const SSO_SECRET_COLUMN: EncryptedColumn = {
  table: 'sso_config',
  column: 'secret_ciphertext',
  field: 'client_secret',
  legacyContext,
};

/** Admin configuration of an org's IdPs: validated on save, secrets sealed and never returned, every change an event. */
@Injectable()
export class SsoConfigService {
  private readonly repo = new TenantScopedRepository(SsoConfigEntity);

  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly config: AppConfig,
    private readonly keys: KeyRing,
    private readonly urls: SsoUrls,
    private readonly orgs: OrgsService,
    private readonly oidcClients: OidcClients,
  ) {}

  private get allowHttp(): boolean {
    return !this.config.isProduction;
  }

  async getSaml(orgId: string): Promise<SamlConfigResponseDto> {
    const row = await this.db.withOrg(orgId, (em) => this.repo.findOne(em, { orgId, protocol: 'saml' }));
    return this.mapSaml(row, await this.slug(orgId));
  }

  async putSaml(orgId: string, dto: PutSamlConfigDto): Promise<SamlConfigResponseDto> {
    const settings = toSamlSettings(dto, { allowHttp: this.allowHttp, callerRole: this.callerRole() });
    const row = await this.db.withOrg(orgId, (em) => this.upsert(em, orgId, 'saml', dto.enabled, settings, undefined));
    return this.mapSaml(row, await this.slug(orgId));
  }

  async getOidc(orgId: string): Promise<OidcConfigResponseDto> {
    const row = await this.db.withOrg(orgId, (em) => this.repo.findOne(em, { orgId, protocol: 'oidc' }));
    return this.mapOidc(row, await this.slug(orgId));
  }

  async putOidc(orgId: string, dto: PutOidcConfigDto, verifyDiscovery: boolean): Promise<OidcConfigResponseDto> {
    const slug = await this.slug(orgId);
    const existing = await this.db.withOrg(orgId, (em) => this.repo.findOne(em, { orgId, protocol: 'oidc' }));
    const settings = toOidcSettings(dto, {
      allowHttp: this.allowHttp,
      callerRole: this.callerRole(),
      hasStoredSecret: !!existing?.secretCiphertext,
    });
    // Outside the write transaction: a slow IdP must not hold a database transaction open.
    await this.oidcClients.checkIssuer(orgId, settings);
    if (verifyDiscovery) {
      const secret = dto.clientSecret ?? (await this.openSecret(orgId, existing!.id, existing!.secretCiphertext!));
      await this.oidcClients.verify(orgId, settings, secret);
    }
    const row = await this.db.withOrg(orgId, (em) =>
      this.upsert(em, orgId, 'oidc', dto.enabled, settings, dto.clientSecret),
    );
    return this.mapOidc(row, slug);
  }

  async remove(orgId: string, protocol: SsoProtocol): Promise<void> {
    await this.db.withOrg(orgId, async (em) => {
      const existing = await this.repo.findOne(em, { orgId, protocol });
      if (!existing) throw new SsoException('sso_not_configured', `No ${protocol.toUpperCase()} configuration`);
      await this.repo.delete(em, { orgId, id: existing.id });
      await this.events.publish(em, {
        action: 'sso.deleted',
        orgId,
        resourceType: 'sso_config',
        resourceId: existing.id,
        metadata: { protocol, before: this.auditView(existing) },
      });
    });
  }

  /** For sign-in: the org's configuration (enabled or not), or null. */
  async loadSaml(orgId: string): Promise<SsoConfigRecord<SamlSettings> | null> {
    const row = await this.db.withOrg(orgId, (em) => this.repo.findOne(em, { orgId, protocol: 'saml' }));
    return row
      ? { id: row.id, orgId, enabled: row.enabled, settings: row.settings as SamlSettings, updatedAt: row.updatedAt }
      : null;
  }

  /** For sign-in: the configuration with its client secret opened. */
  async loadOidc(orgId: string): Promise<(SsoConfigRecord<OidcSettings> & { clientSecret: string }) | null> {
    const row = await this.db.withOrg(orgId, (em) => this.repo.findOne(em, { orgId, protocol: 'oidc' }));
    if (!row?.secretCiphertext) return null;
    const clientSecret = await this.openSecret(orgId, row.id, row.secretCiphertext);
    return {
      id: row.id,
      orgId,
      enabled: row.enabled,
      settings: row.settings as OidcSettings,
      updatedAt: row.updatedAt,
      clientSecret,
    };
  }

  private openSecret(orgId: string, rowId: string, envelope: string): Promise<string> {
    return this.keys.open(secretRef(orgId, rowId), envelope, legacyContext(orgId));
  }

  private async upsert(
    em: EntityManager,
    orgId: string,
    protocol: SsoProtocol,
    enabled: boolean,
    settings: SamlSettings | OidcSettings,
    secret: string | undefined,
  ): Promise<SsoConfigEntity> {
    const existing = await this.repo.findOne(em, { orgId, protocol });
    // The ciphertext is bound to its row: sealed for the existing row, or for the id the new row gets.
    const id = existing?.id ?? uuidv7();
    const sealed = secret ? await this.keys.seal(secretRef(orgId, id), secret) : undefined;
    const before = existing ? this.auditView(existing) : null;
    if (protocol === 'oidc' && !sealed && !existing?.secretCiphertext) {
      throw new CommonException('validation_failed', 'The SSO configuration is invalid', {
        errors: [{ path: 'clientSecret', message: 'clientSecret is required' }],
      });
    }
    let row: SsoConfigEntity;
    if (existing) {
      const patch: Partial<SsoConfigEntity> = { enabled, settings, updatedAt: new Date() };
      if (sealed) patch.secretCiphertext = sealed;
      row = (await this.repo.update(em, { orgId, id: existing.id }, patch))!;
    } else {
      row = Object.assign(new SsoConfigEntity(), {
        id,
        orgId,
        protocol,
        enabled,
        settings,
        secretCiphertext: sealed ?? null,
      });
      await this.repo.insert(em, row);
      row = (await this.repo.findOne(em, { orgId, id: row.id }))!;
    }
    await this.events.publish(em, {
      action: 'sso.updated',
      orgId,
      resourceType: 'sso_config',
      resourceId: row.id,
      metadata: { protocol, before, after: this.auditView(row), ...(sealed ? { clientSecretChanged: true } : {}) },
    });
    return row;
  }

  /** Audit view: settings without secrets (certificates are public, but long: their count is enough). */
  private auditView(row: SsoConfigEntity): Record<string, unknown> {
    const { idpCerts, ...rest } = row.settings as Record<string, unknown>;
    return {
      enabled: row.enabled,
      ...rest,
      ...(Array.isArray(idpCerts) ? { idpCertCount: idpCerts.length } : {}),
      hasClientSecret: !!row.secretCiphertext,
    };
  }

  private callerRole(): string | undefined {
    return RequestContextStore.get()?.principal?.role;
  }

  private async slug(orgId: string): Promise<string> {
    return (await this.orgs.get(orgId)).slug;
  }

  private mapSaml(row: SsoConfigEntity | null, slug: string): SamlConfigResponseDto {
    const u = this.urls.forOrg(slug);
    const sp = {
      entityId: u.samlEntityId,
      acsUrl: u.samlAcsUrl,
      metadataUrl: u.samlMetadataUrl,
      loginUrl: u.samlLoginUrl,
    };
    if (!row) return { configured: false, enabled: false, sp };
    const s = row.settings as SamlSettings;
    return {
      configured: true,
      enabled: row.enabled,
      idpEntityId: s.idpEntityId,
      ssoUrl: s.ssoUrl,
      idpCerts: s.idpCerts,
      allowIdpInitiated: s.allowIdpInitiated,
      defaultRole: s.defaultRole,
      groupsAttribute: s.groupsAttribute,
      emailAttribute: s.emailAttribute,
      displayNameAttribute: s.displayNameAttribute,
      roleMappings: s.roleMappings,
      linkByEmail: s.linkByEmail,
      maxAssertionAgeSeconds: s.maxAssertionAgeSeconds,
      clockSkewSeconds: s.clockSkewSeconds,
      sp,
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  private mapOidc(row: SsoConfigEntity | null, slug: string): OidcConfigResponseDto {
    const u = this.urls.forOrg(slug);
    const rp = { redirectUri: u.oidcRedirectUri, loginUrl: u.oidcLoginUrl };
    if (!row) return { configured: false, enabled: false, hasClientSecret: false, rp };
    const s = row.settings as OidcSettings;
    return {
      configured: true,
      enabled: row.enabled,
      provider: s.provider,
      issuer: s.issuer,
      clientId: s.clientId,
      hasClientSecret: !!row.secretCiphertext,
      scopes: s.scopes,
      defaultRole: s.defaultRole,
      groupsClaim: s.groupsClaim,
      roleMappings: s.roleMappings,
      linkByEmail: s.linkByEmail,
      rp,
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}
