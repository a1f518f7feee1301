import { codedException } from '../../core/errors/app.exception.js';

export const AUDIT_ERROR_HTTP = {
  validation_failed: 400,
} as const;

export type AuditErrorCode = keyof typeof AUDIT_ERROR_HTTP;

export class AuditException extends codedException(AUDIT_ERROR_HTTP) {}

export const badCursor = (): AuditException =>
  new AuditException('validation_failed', 'Invalid cursor', {
    errors: [{ path: 'cursor', message: 'invalid cursor' }],
  });
