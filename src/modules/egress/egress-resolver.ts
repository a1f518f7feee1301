import { promises as dns } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressCategory } from './address-classifier.js';
import { EgressDeniedError, EgressNetworkError } from './egress.errors.js';
import type { EgressPolicy } from './egress-policy.js';
import type { EgressTarget } from './egress-target.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to every address it has. Injectable so tests and deployments can pick the DNS. */
export type EgressResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Production default: the system resolver (getaddrinfo, so /etc/hosts applies), every A and AAAA record. */
export const systemResolver: EgressResolver = async (hostname) => {
  const results = await dns.lookup(hostname, { all: true, order: 'verbatim' });
  return results.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

/** Adapts a `dns.promises.Resolver` (e.g. one pointed at a dedicated DNS server) to an EgressResolver. */
export function resolverFromDnsResolver(resolver: dns.Resolver): EgressResolver {
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    for (const result of [v4, v6]) {
      // "No such record" for one family is normal; any other failure must not pass as "no addresses".
      if (result.status === 'rejected' && !NO_RECORDS.has((result.reason as NodeJS.ErrnoException).code ?? '')) {
        throw result.reason;
      }
    }
    const addresses = (family: 4 | 6, result: PromiseSettledResult<string[]>): ResolvedAddress[] =>
      result.status === 'fulfilled' ? result.value.map((address) => ({ address, family })) : [];
    return [...addresses(4, v4), ...addresses(6, v6)];
  };
}

/**
 * Returns the addresses the connection may use. An IP literal is checked directly. A name is resolved once
 * and refused (not filtered) if ANY of its addresses is forbidden: mixing public and internal records is a
 * classic rebinding setup, and a name that points inside is not one a flow should reach anyway.
 */
export async function resolveAllowedAddresses(
  target: EgressTarget,
  policy: EgressPolicy,
  resolver: EgressResolver,
): Promise<ResolvedAddress[]> {
  if (target.ipLiteral !== null) {
    assertAllowed(policy, target, target.ipLiteral, true);
    return [{ address: target.ipLiteral, family: target.ipLiteral.includes(':') ? 6 : 4 }];
  }
  const resolved = await resolve(target, resolver);
  for (const { address } of resolved) {
    assertAllowed(policy, target, address, false);
  }
  // The family comes from the address itself, not from what the resolver claimed.
  return resolved.map(({ address }) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
}

async function resolve(target: EgressTarget, resolver: EgressResolver): Promise<readonly ResolvedAddress[]> {
  let resolved: readonly ResolvedAddress[];
  try {
    resolved = await resolver(target.hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new EgressNetworkError('dns_failed', `Could not resolve ${target.hostname} (${code}).`, { cause: error });
  }
  if (resolved.length === 0) {
    throw new EgressNetworkError('dns_failed', `Could not resolve ${target.hostname}: it has no addresses.`);
  }
  return resolved;
}

const DESCRIPTIONS: Record<AddressCategory, string> = {
  public: 'a public address',
  cloud_metadata: 'a cloud metadata address',
  unspecified: 'the unspecified address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  carrier_grade_nat: 'a carrier-grade NAT address',
  link_local: 'a link-local address',
  unique_local: 'a unique-local address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved or special-purpose address',
  invalid: 'an invalid address',
};

function assertAllowed(policy: EgressPolicy, target: EgressTarget, address: string, literal: boolean): void {
  const verdict = policy.checkAddress(address, target.hostname);
  if (verdict.allowed) {
    return;
  }
  const kind = DESCRIPTIONS[verdict.category];
  // A resolved address is not echoed: it would let flow authors map the platform's internal DNS.
  const what = literal ? `${address} is ${kind}` : `${target.hostname} resolves to ${kind}`;
  const advice =
    verdict.category === 'cloud_metadata'
      ? 'Cloud metadata endpoints can never be allowlisted.'
      : 'An org admin can allowlist it if this is intended.';
  throw new EgressDeniedError(
    'address_forbidden',
    `Requests to ${target.display} are not allowed: ${what}. ${advice}`,
    {
      addressCategory: verdict.category,
    },
  );
}

/**
 * A `lookup` for http.request that can only return the already validated addresses, so the socket connects
 * to exactly what was checked (no second DNS answer, no rebinding) while Host and SNI keep the hostname.
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = familyNumber(options.family);
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    if (usable.length === 0) {
      const error: NodeJS.ErrnoException = new Error('No validated address for the requested family');
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
    } else if (options.all) {
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
    } else {
      callback(null, usable[0].address, usable[0].family);
    }
  };
}

function familyNumber(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') {
    return 4;
  }
  return family === 6 || family === 'IPv6' ? 6 : 0;
}
