import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import {
  type AddressCategory,
  classifyAddress,
  METADATA_ADDRESSES,
  parseForMatching,
  parseIp,
} from './address-classifier.js';

/** The outcome of checking one resolved (or literal) address against the policy. */
export interface AddressVerdict {
  allowed: boolean;
  category: AddressCategory;
  /** True when the address is non-public but an allowlist entry re-permitted it. */
  viaAllowlist: boolean;
  embeddedIpv4?: string;
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * The org's egress rules: public addresses are always allowed; loopback, private, link-local and other
 * special-purpose addresses only when an allowlist entry covers them. An entry is either a CIDR
 * (`10.0.0.0/8`, `fd12::/16`, a bare IP means /32 or /128) or an exact hostname (`crm.internal`, which
 * re-permits whatever that name resolves to). Cloud metadata addresses are refused even when allowlisted:
 * they serve the platform worker's own credentials, never the org's network.
 */
export class EgressPolicy {
  private readonly cidrs: Cidr[] = [];
  private readonly hostnames = new Set<string>();

  /** Throws a plain Error naming the first malformed entry; validate allowlists when an org saves them. */
  constructor(allowlist: readonly string[] = []) {
    for (const raw of allowlist) {
      this.addEntry(raw.trim());
    }
  }

  /** True when the hostname (as in a URL, case and trailing dot ignored) is allowlisted by name. */
  isHostnameAllowlisted(hostname: string): boolean {
    return this.hostnames.size > 0 && this.hostnames.has(normaliseHostname(hostname));
  }

  /**
   * Checks one address. `hostname` is the name it was resolved from, if any: an allowlisted name re-permits
   * its addresses.
   */
  checkAddress(address: string, hostname?: string): AddressVerdict {
    const { category, embeddedIpv4 } = classifyAddress(address);
    if (category === 'public') {
      return { allowed: true, category, viaAllowlist: false };
    }
    const permitted =
      category !== 'cloud_metadata' &&
      category !== 'invalid' &&
      ((hostname !== undefined && this.isHostnameAllowlisted(hostname)) || this.inAllowedCidr(address));
    return { allowed: permitted, category, viaAllowlist: permitted, embeddedIpv4 };
  }

  private inAllowedCidr(address: string): boolean {
    const ip = parseForMatching(address);
    // ipaddr's match throws across families, so compare kinds first.
    return ip !== null && this.cidrs.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  }

  private addEntry(entry: string): void {
    if (entry.includes('/')) {
      this.cidrs.push(parseCidr(entry));
    } else if (isStrictIp(entry)) {
      const ip = parseForMatching(entry) as ipaddr.IPv4 | ipaddr.IPv6;
      this.cidrs.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
    } else {
      this.hostnames.add(parseHostnameEntry(entry));
    }
  }
}

// Names cloud providers serve instance metadata under (the resolver refuses their addresses anyway).
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/**
 * Why an allowlist entry may not be saved, or null when it may: malformed, or covering a cloud metadata address
 * (`169.254.0.0/16`, `0.0.0.0/0`, `100.64.0.0/10` all do) or naming a metadata host. Metadata is never re-permitted
 * at request time either; refusing it on save keeps an allowlist from promising what the guard will not do.
 */
export function allowlistEntryProblem(raw: string): string | null {
  const entry = raw.trim();
  try {
    new EgressPolicy([entry]);
  } catch (error) {
    return (error as Error).message;
  }
  if (entry.includes('/') || isStrictIp(entry)) {
    const [net, bits] = entry.includes('/') ? parseCidr(entry) : [parseForMatching(entry)!, 128];
    for (const address of METADATA_ADDRESSES) {
      const ip = parseForMatching(address);
      if (ip && ip.kind() === net.kind() && ip.match(net, Math.min(bits, net.kind() === 'ipv4' ? 32 : 128))) {
        return `Allowlist entry "${entry}" covers a cloud metadata address, which can never be allowlisted`;
      }
    }
    return null;
  }
  return METADATA_HOSTNAMES.has(normaliseHostname(entry))
    ? `Allowlist entry "${entry}" names a cloud metadata host`
    : null;
}

/** Convenience for one-off checks: `isAddressAllowed('10.1.2.3', ['10.0.0.0/8']) === true`. */
export function isAddressAllowed(address: string, allowlist: readonly string[] = []): boolean {
  return new EgressPolicy(allowlist).checkAddress(address).allowed;
}

function parseCidr(entry: string): Cidr {
  const [address] = entry.split('/');
  if (!ipaddr.isValidCIDR(entry) || !isStrictIp(address)) {
    throw new Error(`Invalid allowlist entry "${entry}": expected a CIDR such as 10.0.0.0/8 or a hostname`);
  }
  const [, bits] = ipaddr.parseCIDR(entry);
  const ip = parseIp(address) as ipaddr.IPv4 | ipaddr.IPv6;
  // Store mapped IPv6 ranges as IPv4 so they match the unwrapped addresses parseForMatching returns.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(ip as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [ip, bits];
}

// Only canonical dotted quads and IPv6: ipaddr alone accepts "0177.1", which readers would misjudge.
function isStrictIp(text: string): boolean {
  return isIP(text) !== 0;
}

const LABEL = '[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?';
const HOSTNAME = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/;

function parseHostnameEntry(entry: string): string {
  const hostname = normaliseHostname(entry);
  // A name ending in a number is an IPv4 address to WHATWG URL ("127.1"); refuse it rather than never match.
  const lastLabel = hostname.slice(hostname.lastIndexOf('.') + 1);
  if (NUMERIC_LABEL.test(lastLabel) || !HOSTNAME.test(hostname)) {
    throw new Error(`Invalid allowlist entry "${entry}": expected a CIDR such as 10.0.0.0/8 or a hostname`);
  }
  return hostname;
}

// Matches how WHATWG URL presents hostnames: lower case, punycode; a trailing dot names the same host.
function normaliseHostname(hostname: string): string {
  const ascii = domainToASCII(hostname.trim()) || hostname.trim().toLowerCase();
  return ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
}
