import { Module } from '@nestjs/common';
import { Database } from '../../../core/database/database.js';
import { RedisHolder } from '../../../core/redis/redis.js';
import { TenancyModule } from '../../tenancy/index.js';
import { SsoAccountsService } from './accounts/sso-accounts.service.js';
import { IDENTITY_ADAPTERS } from './accounts/identity-adapters.js';
import { SsoConfigController } from './config/sso-config.controller.js';
import { SsoConfigService } from './config/sso-config.service.js';
import { SsoAuthController } from './login/sso-auth.controller.js';
import { SsoGate } from './login/sso-gate.service.js';
import { SsoSignInService } from './login/sso-sign-in.service.js';
import { OidcClients } from './oidc/oidc-clients.js';
import { OidcFlowService } from './oidc/oidc-flow.service.js';
import { OidcLoginService } from './oidc/oidc-login.service.js';
import { SsoEgress } from './oidc/sso-egress.js';
import { SamlFlowService } from './saml/saml-flow.service.js';
import { SamlLoginService } from './saml/saml-login.service.js';
import { SamlStrategyRunner } from './saml/saml-strategy.js';
import { registerEncryptedColumn } from '../../../core/crypto/key-rotation.js';
import { SSO_SECRET_COLUMN } from './config/sso-config.service.js';
import { SsoUrls } from './sso-urls.js';
import { PgSsoStateStore } from './state/pg-sso-state.store.js';
import { RedisSsoStateStore } from './state/redis-sso-state.store.js';
import { SsoStateStore } from './state/sso-state.store.js';

/** Per-org single sign-on: SAML 2.0 and OIDC / OAuth2 configuration, browser flows, provisioning, role mapping. */
registerEncryptedColumn(SSO_SECRET_COLUMN);

@Module({
  imports: [TenancyModule, ...IDENTITY_ADAPTERS.imports],
  controllers: [SsoConfigController, SsoAuthController],
  providers: [
    ...IDENTITY_ADAPTERS.providers,
    {
      provide: SsoStateStore,
      // Redis when instances share one (scale-out), otherwise PostgreSQL, which every instance shares anyway.
      useFactory: (db: Database, redis: RedisHolder) =>
        redis.client ? new RedisSsoStateStore(redis.client) : new PgSsoStateStore(db),
      inject: [Database, RedisHolder],
    },
    SsoUrls,
    SsoConfigService,
    SsoEgress,
    OidcClients,
    OidcLoginService,
    OidcFlowService,
    SamlStrategyRunner,
    SamlLoginService,
    SamlFlowService,
    SsoAccountsService,
    SsoSignInService,
    SsoGate,
  ],
  exports: [SsoConfigService],
})
export class SsoModule {}
