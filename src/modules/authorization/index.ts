/** Public API of the authorization module: abilities, the global access guard, role vocabulary. */
export { AuthorizationModule } from './authorization.module.js';
export { AbilityFactory, type AbilityContributor } from './ability.factory.js';
export { BUILT_IN_ROLES, ROLE_MATRIX, ROLE_RANK, type BuiltInRole } from './role-matrix.js';
export { RateLimitsService } from './rate-limits.service.js';
