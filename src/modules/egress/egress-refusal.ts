import type { DomainEvent } from '../../core/events/domain-events.js';
import type { AddressCategory } from './address-classifier.js';
import { EgressDeniedError, type EgressErrorReason } from './egress.errors.js';

/** The policy refusals that are security events (an attempt to reach something the org may not reach). */
const SECURITY_REASONS = new Set<EgressErrorReason>(['address_forbidden', 'scheme_forbidden', 'credentials_in_url']);

export interface EgressRefusal {
  reason: EgressErrorReason;
  /** The class of the refused address (`loopback`, `private`, `cloud_metadata`...); never the address itself. */
  addressClass?: AddressCategory;
}

/** Where the refused request came from, for the audit entry. Never a URL path or query (they carry secrets). */
export interface EgressRefusalOrigin {
  source: 'flow_run' | 'oidc';
  runId?: string;
  flowId?: string;
  nodeId?: string;
}

/**
 * The policy refusal inside `error` (itself or a cause, as HTTP libraries wrap what a custom fetch throws), or null
 * when the request was not refused by policy (network trouble, timeouts, size limits are not security events).
 */
export function egressRefusalOf(error: unknown): EgressRefusal | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof EgressDeniedError && SECURITY_REASONS.has(e.reason)) {
      return e.addressCategory ? { reason: e.reason, addressClass: e.addressCategory } : { reason: e.reason };
    }
  }
  return null;
}

/** The `egress.refused` domain event (audit catalogue) for a refusal in an org. */
export function egressRefusedEvent(orgId: string, refusal: EgressRefusal, origin: EgressRefusalOrigin): DomainEvent {
  return {
    action: 'egress.refused',
    orgId,
    resourceType: 'egress',
    resourceId: null,
    outcome: 'denied',
    reason: refusal.reason,
    metadata: { ...origin, ...(refusal.addressClass ? { addressClass: refusal.addressClass } : {}) },
  };
}
