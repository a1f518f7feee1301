/** Public API of single sign-on (a sub-module of identity): the Nest module, its entities. */
export { SsoModule } from './sso.module.js';
export { SsoConfigEntity } from './sso-config.entity.js';
export { SsoIdentityEntity } from './sso-identity.entity.js';
export { SsoConfigService } from './config/sso-config.service.js';
