import { Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/index.js';
import { defaultSecretsDns, ProviderFactory, SECRETS_DNS } from './provider-factory.js';
import { ProviderCredentials } from './provider-credentials.js';
import { SecretProvidersController } from './secret-providers.controller.js';
import { SecretProvidersService } from './secret-providers.service.js';
import { SecretProvidersStore } from './secret-providers.store.js';
import { SecretResolverService } from './secret-resolver.service.js';

/** Per-org secret providers (Vault, AWS Secrets Manager, env) and the resolver the engine uses at execution time. */
@Module({
  imports: [TenancyModule],
  controllers: [SecretProvidersController],
  providers: [
    { provide: SECRETS_DNS, useValue: defaultSecretsDns },
    ProviderCredentials,
    ProviderFactory,
    SecretProvidersStore,
    SecretResolverService,
    SecretProvidersService,
  ],
  exports: [SecretResolverService],
})
export class SecretsModule {}
