import { egressRefusalOf } from '../../../egress/index.js';
import { SsoLoginFailure, type SsoLoginReason } from '../sso.exception.js';

/**
 * Maps openid-client / oauth4webapi errors to reason codes. The library message stays in the server log: it can
 * name expected values (nonce, issuer) that the browser must not see.
 */
export function oidcFailure(err: unknown): SsoLoginFailure {
  if (err instanceof SsoLoginFailure) return err;
  // The egress guard refused a token, JWKS or userinfo call (audited where it was refused).
  if (egressRefusalOf(err))
    return new SsoLoginFailure('idp_address_forbidden', `egress refused: ${(err as Error).message?.slice(0, 300)}`);
  type Detail = { claim?: string; attribute?: string; cause?: Detail };
  const e = err as { code?: string; name?: string; status?: number; error?: string; message?: string; cause?: Detail };
  // openid-client wraps oauth4webapi's error (whose `cause` names the claim) in a ClientError with the same code.
  const detail = e.cause?.claim || e.cause?.attribute ? e.cause : e.cause?.cause;
  const internal = `${e.code ?? e.name ?? 'error'}: ${e.message ?? ''}`.slice(0, 500);
  let reason: SsoLoginReason = 'token_invalid';
  switch (e.code) {
    case 'OAUTH_RESPONSE_BODY_ERROR':
      reason = (e.status ?? 500) >= 500 ? 'idp_unavailable' : 'code_rejected';
      break;
    case 'OAUTH_AUTHORIZATION_RESPONSE_ERROR':
      reason = 'idp_error';
      break;
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      reason = detail?.claim === 'nonce' ? 'nonce_mismatch' : 'token_invalid';
      break;
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      reason = detail?.attribute === 'state' ? 'state_mismatch' : 'token_invalid';
      break;
    default:
      if (
        !e.code?.startsWith('OAUTH_') &&
        (e.name === 'TypeError' || e.name === 'AbortError' || e.name === 'TimeoutError')
      )
        reason = 'idp_unavailable';
  }
  return new SsoLoginFailure(reason, internal);
}
