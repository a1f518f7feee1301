/** Public API of the secrets module: the module, the resolver the engine uses, and the types around it. */
export { SecretsModule } from './secrets.module.js';
export { SecretResolverService } from './secret-resolver.service.js';
export type { SecretRefInput } from './secret-reference.js';
export { SecretUnavailableError, type SecretFailureReason, SECRETS_ERROR_HTTP } from './secrets.exception.js';
export { SecretProviderEntity } from './secret-provider.entity.js';
export { SECRETS_DNS } from './provider-factory.js';
