/** Egress: the SSRF-guarded outbound HTTP client every org-initiated call goes through (flows, OIDC, secret providers, OAuth, plugins). Imports core only. */
export { type AddressCategory, type AddressClassification, classifyAddress } from './address-classifier.js';
export type { EgressRequestBody } from './egress-body.js';
export { EgressDeniedError, EgressError, type EgressErrorReason, EgressNetworkError } from './egress.errors.js';
export {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  type EgressMethod,
  type SafeHttpRequestOptions,
} from './egress-options.js';
export { type AddressVerdict, allowlistEntryProblem, EgressPolicy, isAddressAllowed } from './egress-policy.js';
export {
  type EgressResolver,
  type ResolvedAddress,
  resolverFromDnsResolver,
  systemResolver,
} from './egress-resolver.js';
export { type SafeHttpResponse, safeHttpRequest } from './safe-http-request.js';
export { assertEgressAllowed } from './egress-check.js';
export { createEgressFetch, type EgressFetch, type EgressFetchInit, type EgressFetchOptions } from './egress-fetch.js';
export { type EgressRefusal, type EgressRefusalOrigin, egressRefusalOf, egressRefusedEvent } from './egress-refusal.js';
