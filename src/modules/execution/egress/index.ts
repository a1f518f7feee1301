export { type AddressCategory, type AddressClassification, classifyAddress } from './address-classifier.js';
export { EgressDeniedError, EgressError, type EgressErrorReason, EgressNetworkError } from './egress.errors.js';
export { type AddressVerdict, EgressPolicy, isAddressAllowed } from './egress-policy.js';
