import { codedException } from '../../core/errors/app.exception.js';

export const IDENTITY_ERROR_HTTP = {
  user_not_found: 404,
  user_exists: 409,
  user_deactivated: 409,
  last_owner: 409,
  api_key_not_found: 404,
  api_key_revoked: 409,
  api_key_limit_reached: 409,
  role_not_found: 404,
  unknown_role: 400,
  role_name_taken: 409,
  role_immutable: 409,
  role_in_use: 409,
  invalid_permission: 400,
  invalid_scope: 400,
  member_not_found: 404,
  invalid_expiry: 400,
} as const;

export type IdentityErrorCode = keyof typeof IDENTITY_ERROR_HTTP;

export class IdentityException extends codedException(IDENTITY_ERROR_HTTP) {}

export const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';
