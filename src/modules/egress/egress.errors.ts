import type { AddressCategory } from './address-classifier.js';

/** Why an outbound request was refused or did not complete. Stable: flows and run logs key on it. */
export type EgressErrorReason =
  | 'invalid_url'
  | 'invalid_request'
  | 'scheme_forbidden'
  | 'credentials_in_url'
  | 'address_forbidden'
  | 'too_many_redirects'
  | 'response_too_large'
  | 'timeout'
  | 'dns_failed'
  | 'connection_failed'
  | 'aborted';

/**
 * Base of every error `safeHttpRequest` throws. Messages are written for a flow author and never contain
 * request headers, bodies, paths or query strings, because those routinely carry secrets.
 */
export class EgressError extends Error {
  readonly reason: EgressErrorReason;
  /** For `address_forbidden`: the class of the refused address (never the address: audit and logs keep only this). */
  readonly addressCategory?: AddressCategory;

  constructor(
    reason: EgressErrorReason,
    message: string,
    options?: { cause?: unknown; addressCategory?: AddressCategory },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.reason = reason;
    if (options?.addressCategory) this.addressCategory = options.addressCategory;
  }

  toJSON(): { name: string; reason: EgressErrorReason; message: string } {
    return { name: this.name, reason: this.reason, message: this.message };
  }
}

/** The egress policy or one of its limits refused the request (address, scheme, redirects, size, time). */
export class EgressDeniedError extends EgressError {}

/** The request was allowed but the network failed it (DNS had no answer, the connection broke). */
export class EgressNetworkError extends EgressError {}
