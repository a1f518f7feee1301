/** Public API of the identity module: credentials, API keys, platform keys, users. */
export { IdentityModule } from './identity.module.js';
export { CredentialsService, CREDENTIALS_CHANNEL, type AuthResult, type AuthFailure } from './credentials.service.js';
export { ApiKeysService, type NewApiKey } from './api-keys.service.js';
export { PlatformKeysService } from './platform-keys.service.js';
export { PlatformService, type CreatedOrg } from './platform.service.js';
export { BootstrapService, type FirstStart } from './bootstrap.service.js';
export { ApiKeyEntity } from './api-key.entity.js';
export { PlatformKeyEntity } from './platform-key.entity.js';
export { UserEntity, type UserStatus } from './user.entity.js';
