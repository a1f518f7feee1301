import { codedException } from '../../core/errors/app.exception.js';

export const AUTHORIZATION_ERROR_HTTP = {
  privilege_escalation: 403,
  no_session: 400,
} as const;

export type AuthorizationErrorCode = keyof typeof AUTHORIZATION_ERROR_HTTP;

export class AuthorizationException extends codedException(AUTHORIZATION_ERROR_HTTP) {}
