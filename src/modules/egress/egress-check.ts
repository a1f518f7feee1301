import { EgressNetworkError } from './egress.errors.js';
import { EgressPolicy } from './egress-policy.js';
import { resolveAllowedAddresses, type EgressResolver, systemResolver } from './egress-resolver.js';
import { parseEgressTarget } from './egress-target.js';

/**
 * Configuration-time check of a URL the server will call later (an OIDC issuer, a provider endpoint): the scheme,
 * and every address its name resolves to now, against the org's allowlist. Throws EgressDeniedError when refused.
 * A name that does not resolve (yet) passes: the call-time guard checks again on every request.
 */
export async function assertEgressAllowed(
  url: string | URL,
  allowlist: readonly string[],
  resolver: EgressResolver = systemResolver,
): Promise<void> {
  const target = parseEgressTarget(url);
  try {
    await resolveAllowedAddresses(target, new EgressPolicy(allowlist), resolver);
  } catch (error) {
    if (!(error instanceof EgressNetworkError)) throw error;
  }
}
