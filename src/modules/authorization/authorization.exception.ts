import { AppException } from '../../core/errors/app.exception.js';

export const AUTHORIZATION_ERROR_HTTP = {
  privilege_escalation: 403,
  no_session: 400,
} as const;

export type AuthorizationErrorCode = keyof typeof AUTHORIZATION_ERROR_HTTP;

export class AuthorizationException extends AppException {
  constructor(code: AuthorizationErrorCode, message: string, extra: AppException['extra'] = {}) {
    super(code, AUTHORIZATION_ERROR_HTTP[code], message, extra);
  }
}
