/** Public API of the identity module: credentials, sessions, API keys, users, custom roles, project roles. */
export { IdentityModule } from './identity.module.js';
export { IdentityException, IDENTITY_ERROR_HTTP, type IdentityErrorCode } from './identity.exception.js';

// Credentials and invalidation
export {
  CredentialsService,
  CREDENTIAL_CACHE_TTL_MS,
  type AuthResult,
  type AuthFailure,
  type AuthFailureReason,
  type KeyAuthority,
} from './credentials.service.js';
export { Invalidations, CREDENTIALS_CHANNEL, type Invalidation } from './invalidations.js';
export { TtlCache } from './ttl-cache.js';

// Sessions (sign-in flows open them)
export { SessionsService, type OpenSessionInput, type OpenedSession } from './sessions/sessions.service.js';
export {
  SESSION_COOKIE,
  sessionCookieOptions,
  clearedSessionCookieOptions,
  readCookie,
  readSessionCookie,
} from './sessions/session-cookie.js';
export { SessionEntity, type SessionMethod } from './sessions/session.entity.js';

// Users
export { UsersService, type NewUser, type UserGuard, type UserFilter } from './users/users.service.js';
export { UserEntity, type UserStatus } from './users/user.entity.js';
export { CreateUserDto, UpdateUserDto, UserResponseDto, normalizeEmail } from './users/user.dto.js';

// API keys and platform keys
export { ApiKeysService, type NewApiKey, type ApiKeyGuard, type ApiKeyFilter } from './api-keys/api-keys.service.js';
export { ApiKeyEntity } from './api-keys/api-key.entity.js';
export {
  ApiKeyResponseDto,
  CreatedApiKeyResponseDto,
  CreateApiKeyDto,
  RotateApiKeyDto,
  UpdateApiKeyDto,
  SCOPE_RE,
} from './api-keys/api-key.dto.js';
export { PlatformKeysService } from './platform-keys.service.js';
export { PlatformKeyEntity } from './platform-key.entity.js';
export { PlatformService, type CreatedOrg } from './platform.service.js';
export { BootstrapService, type FirstStart } from './bootstrap.service.js';

// Roles and project roles
export { BUILT_IN_ROLES, PROJECT_BUILT_IN_ROLES, isBuiltInRole, type BuiltInRole } from './roles/built-in-roles.js';
export { RolesService, type ResolvedRole, type RoleGuard, type RoleInput } from './roles/roles.service.js';
export { CustomRoleEntity, type PermissionSpec } from './roles/custom-role.entity.js';
export { CreateRoleDto, UpdateRoleDto, RoleResponseDto, PermissionDto } from './roles/role.dto.js';
export { PROJECT_SUBJECT_FIELDS, OWNED_SUBJECT_FIELDS, SELF } from './roles/permission-vocabulary.js';
export {
  ProjectMembersService,
  type ProjectRole,
  type MemberGuard,
  type MemberFilter,
} from './members/project-members.service.js';
export { ProjectMemberEntity } from './members/project-member.entity.js';
export { ProjectMemberResponseDto, SetProjectMemberDto } from './members/project-member.dto.js';
