import { codedException } from '../../core/errors/app.exception.js';

export const TENANCY_ERROR_HTTP = {
  org_not_found: 404,
  org_slug_taken: 409,
  project_not_found: 404,
  project_name_taken: 409,
  project_conflict: 409,
} as const;

export type TenancyErrorCode = keyof typeof TENANCY_ERROR_HTTP;

export class TenancyException extends codedException(TENANCY_ERROR_HTTP) {}
