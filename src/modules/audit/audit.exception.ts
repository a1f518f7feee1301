import { AppException } from '../../core/errors/app.exception.js';

export const AUDIT_ERROR_HTTP = {
  validation_failed: 400,
} as const;

export type AuditErrorCode = keyof typeof AUDIT_ERROR_HTTP;

export class AuditException extends AppException {
  constructor(code: AuditErrorCode, message: string, extra: AppException['extra'] = {}) {
    super(code, AUDIT_ERROR_HTTP[code], message, extra);
  }
}

export const badCursor = (): AuditException =>
  new AuditException('validation_failed', 'Invalid cursor', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
