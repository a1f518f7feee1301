import { codedException } from '../../../core/errors/app.exception.js';

/** Errors of the SSO admin routes. Sign-in failures are {@link SsoLoginFailure}s (rendered for browsers). */
export const SSO_ERROR_HTTP = {
  sso_not_configured: 404,
  oidc_discovery_failed: 422,
  oidc_issuer_forbidden: 422,
} as const;

export type SsoErrorCode = keyof typeof SSO_ERROR_HTTP;

export class SsoException extends codedException(SSO_ERROR_HTTP) {}

/**
 * Why a sign-in was refused. The code is returned to the browser and recorded in the `auth.login` event; nothing
 * else about the refusal (library messages, expected values) leaves the server.
 */
export const SSO_LOGIN_FAILURE_HTTP = {
  // request and org
  sso_not_available: 404,
  org_suspended: 403,
  invalid_return_to: 400,
  invalid_request: 400,
  payload_too_large: 413,
  rate_limited: 429,
  // SAML message checks
  doctype_forbidden: 401,
  malformed_response: 401,
  weak_algorithm: 401,
  invalid_signature: 401,
  unsigned_assertion: 401,
  encrypted_assertion_unsupported: 401,
  destination_mismatch: 401,
  issuer_mismatch: 401,
  audience_mismatch: 401,
  recipient_mismatch: 401,
  assertion_expired: 401,
  assertion_not_yet_valid: 401,
  unsolicited_response: 401,
  unknown_request: 401,
  browser_mismatch: 401,
  replayed_assertion: 401,
  transient_name_id: 401,
  idp_error: 401,
  invalid_response: 401,
  // OIDC / OAuth2 checks
  state_mismatch: 401,
  nonce_mismatch: 401,
  code_rejected: 401,
  token_invalid: 401,
  idp_unavailable: 502,
  /** The egress guard refused a call to the IdP (an address the org may not reach). */
  idp_address_forbidden: 502,
  // accounts
  missing_subject: 401,
  missing_email: 403,
  email_not_verified: 403,
  email_conflict: 403,
  no_role: 403,
  user_deactivated: 403,
  session_unavailable: 503,
} as const;

export type SsoLoginReason = keyof typeof SSO_LOGIN_FAILURE_HTTP;

export class SsoLoginFailure extends Error {
  readonly status: number;

  constructor(
    readonly reason: SsoLoginReason,
    /** For the server log only (never sent). */
    readonly internal?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`sign-in refused: ${reason}`);
    this.status = SSO_LOGIN_FAILURE_HTTP[reason];
  }
}
