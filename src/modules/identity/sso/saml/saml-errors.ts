import { SsoLoginFailure, type SsoLoginReason } from '../sso.exception.js';

const RULES: [RegExp, SsoLoginReason][] = [
  [/not yet valid/i, 'assertion_not_yet_valid'],
  [/expired|too old/i, 'assertion_expired'],
  [/audience/i, 'audience_mismatch'],
  [/InResponseTo is missing/i, 'unsolicited_response'],
  [/InResponseTo/i, 'unknown_request'],
  [/no valid subject confirmation/i, 'assertion_expired'],
  [/provider returned/i, 'idp_error'],
  [/decrypt/i, 'encrypted_assertion_unsupported'],
  [/signature|idpCert|certificate|pem/i, 'invalid_signature'],
  [/missing saml assertion|multiple|cannot obtain assertion/i, 'malformed_response'],
];

/** Maps a node-saml error to a reason code; its message (which may echo expected values) stays in the log. */
export function samlFailure(err: Error): SsoLoginFailure {
  if (err instanceof SsoLoginFailure) return err;
  const message = err.message ?? '';
  const rule = RULES.find(([re]) => re.test(message));
  return new SsoLoginFailure(rule ? rule[1] : 'invalid_response', message.slice(0, 300));
}
