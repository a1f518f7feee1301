import { codedException } from '../../core/errors/app.exception.js';

/** Errors of the secret-provider routes. */
export const SECRETS_ERROR_HTTP = {
  secret_provider_not_found: 404,
} as const;

export type SecretsErrorCode = keyof typeof SECRETS_ERROR_HTTP;

export class SecretsException extends codedException(SECRETS_ERROR_HTTP) {}

/** Why a provider could not give a value. Stable: run errors, test answers and metrics use it. */
export type SecretFailureReason =
  | 'not_configured'
  | 'invalid_reference'
  | 'not_found'
  | 'denied'
  | 'no_such_key'
  | 'timeout'
  | 'unreachable'
  | 'egress_refused'
  | 'unavailable'
  | 'misconfigured';

const EXPLAINED: Record<SecretFailureReason, string> = {
  not_configured: 'no such provider in this organization',
  invalid_reference: 'the path or key is not valid for this provider',
  not_found: 'the provider has no such secret',
  denied: 'the provider refused access',
  no_such_key: 'the secret has no such key',
  timeout: 'the provider did not answer in time',
  unreachable: 'the provider could not be reached',
  egress_refused: "the provider's address is not allowed by the organization's egress policy",
  unavailable: 'the provider is unavailable',
  misconfigured: 'the provider configuration or credentials are unusable',
};

/**
 * A reference could not be resolved. The message is `secret_unavailable: …` naming the provider and the path (never a
 * value, never the provider's own error text, which may echo request data).
 */
export class SecretUnavailableError extends Error {
  readonly code = 'secret_unavailable';

  constructor(
    readonly provider: string,
    readonly path: string,
    readonly reason: SecretFailureReason,
  ) {
    super(`secret_unavailable: provider "${provider}" could not provide "${path}" (${reason}: ${EXPLAINED[reason]})`);
    this.name = 'SecretUnavailableError';
  }
}

/** A provider-level failure before the provider and path are known to the caller (wrapped by the resolver). */
export class ProviderFailure extends Error {
  constructor(
    readonly reason: SecretFailureReason,
    options?: { cause?: unknown },
  ) {
    super(EXPLAINED[reason], options);
    this.name = 'ProviderFailure';
  }
}

export const explainReason = (reason: SecretFailureReason): string => EXPLAINED[reason];
