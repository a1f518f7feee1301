/** Public API of the authorization module: abilities, escalation rules, the global access guard, role vocabulary. */
export { AuthorizationModule } from './authorization.module.js';
export { AbilityFactory, selfOf, type AbilityContributor, type RulesOptions } from './ability.factory.js';
export { GrantsService, type KeyGrant } from './grants.service.js';
export { AuthzCheckService, type SubjectResolver } from './authz-check.service.js';
export { BUILT_IN_ROLES, ROLE_MATRIX, ROLE_RANK, type BuiltInRole, type Grant } from './role-matrix.js';
export { RateLimitsService } from './rate-limits.service.js';
export { ServiceDenials } from './service-denials.js';
export { uncoveredRule } from './coverage.js';
export { parseScope } from './scopes.js';
export {
  AuthorizationException,
  AUTHORIZATION_ERROR_HTTP,
  type AuthorizationErrorCode,
} from './authorization.exception.js';
export {
  AccessHooks,
  type AccessHookHandlers,
  type AuthenticatedListener,
  type AuthorizeVeto,
  type RequestHookOutcome,
} from './access-hooks.js';
