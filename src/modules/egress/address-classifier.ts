import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What an IP address is, from the point of view of the egress policy. Only `public` is allowed by default. */
export type AddressCategory =
  | 'public'
  | 'cloud_metadata'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'carrier_grade_nat'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

export interface AddressClassification {
  category: AddressCategory;
  /** The IPv4 address hidden inside an IPv6 one (mapped, NAT64, 6to4, Teredo), when it decided the verdict. */
  embeddedIpv4?: string;
}

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

// Instance-metadata endpoints hand out the worker's cloud credentials. They are named separately because
// no org allowlist may re-permit them (see EgressPolicy).
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, Oracle
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud (legacy)
  'fd00:ec2:0:0:0:0:0:254', // AWS IMDS over IPv6
]);

const IPV4_CATEGORIES: Record<string, AddressCategory> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link_local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier_grade_nat',
  private: 'private',
};

const IPV6_CATEGORIES: Record<string, AddressCategory> = {
  unspecified: 'unspecified',
  linkLocal: 'link_local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique_local',
  deprecatedSiteLocal: 'private',
};

const cidr = (text: string): [ipaddr.IPv6, number] => ipaddr.IPv6.parseCIDR(text);
const GLOBAL_UNICAST = cidr('2000::/3');
const NAT64_WELL_KNOWN = cidr('64:ff9b::/96');
const IPV4_COMPATIBLE = cidr('::/96');

/**
 * Classifies an IP address string (IPv4 dotted quad or IPv6, as returned by DNS or a normalised URL).
 * Default-deny: anything not recognisably global unicast is reported as non-public.
 */
export function classifyAddress(address: string): AddressClassification {
  const ip = parseIp(address);
  return ip === null ? { category: 'invalid' } : classifyParsed(ip);
}

// ipaddr.js reads "::a.b.c.d" as the mapped ::ffff:a.b.c.d, but RFC 4291 (and the OS) read it as the
// IPv4-compatible ::a.b.c.d; rewrite it in hex so both agree on which host is meant.
const COMPATIBLE_DOTTED = /^::(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(%.*)?$/;

/** Parses a canonical IPv4 or IPv6 string; null for anything else, including legacy forms like "0177.1". */
export function parseIp(address: string): Ip | null {
  // net.isIP is strict; ipaddr.parse alone would also accept "0177.1" or "2130706433".
  if (isIP(address) === 0) {
    return null;
  }
  const dotted = COMPATIBLE_DOTTED.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1, 5).map(Number);
    return ipaddr.parse(`::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${dotted[5] ?? ''}`);
  }
  return ipaddr.parse(address);
}

function classifyParsed(ip: Ip): AddressClassification {
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) {
    return { category: 'cloud_metadata' };
  }
  if (ip.kind() === 'ipv4') {
    return { category: IPV4_CATEGORIES[ip.range()] ?? 'reserved' };
  }
  return classifyIpv6(ip as ipaddr.IPv6);
}

function classifyIpv6(ip: ipaddr.IPv6): AddressClassification {
  const range = ip.range();
  const fixed = IPV6_CATEGORIES[range];
  if (fixed) {
    return { category: fixed };
  }
  const embedded = embeddedIpv4s(ip, range);
  if (embedded) {
    return classifyEmbedding(ip, embedded);
  }
  const isGlobal = range === 'unicast' && ip.match(GLOBAL_UNICAST);
  return { category: isGlobal ? 'public' : 'reserved' };
}

// An IPv6 address that carries an IPv4 one reaches that IPv4 host (the kernel, a NAT64 gateway or a relay
// unwraps it), so it is only as acceptable as the address inside.
function classifyEmbedding(ip: ipaddr.IPv6, embedded: ipaddr.IPv4[]): AddressClassification {
  for (const inner of embedded) {
    const verdict = classifyParsed(inner);
    if (verdict.category !== 'public') {
      return { category: verdict.category, embeddedIpv4: inner.toString() };
    }
  }
  // IPv4-compatible (::a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d) forms are deprecated and have no
  // legitimate use on the public internet, even when the address inside is public.
  const deprecated = ip.range() === 'rfc6145' || ip.match(IPV4_COMPATIBLE);
  return { category: deprecated ? 'reserved' : 'public' };
}

function embeddedIpv4s(ip: ipaddr.IPv6, range: string): ipaddr.IPv4[] | null {
  const p = ip.parts;
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [ipv4From(p[6], p[7])];
    case 'rfc6052':
      // Only the well-known /96 has a fixed IPv4 position; the local-use 64:ff9b:1::/48 is not global.
      return ip.match(NAT64_WELL_KNOWN) ? [ipv4From(p[6], p[7])] : null;
    case '6to4':
      return [ipv4From(p[1], p[2])];
    case 'teredo':
      // Teredo: server IPv4 in bits 32-63, client IPv4 stored inverted in the last 32 bits (RFC 4380).
      return [ipv4From(p[2], p[3]), ipv4From(p[6] ^ 0xffff, p[7] ^ 0xffff)];
    default:
      return range === 'unicast' && ip.match(IPV4_COMPATIBLE) ? [ipv4From(p[6], p[7])] : null;
  }
}

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** Parses an address for CIDR matching; IPv4-mapped IPv6 is unwrapped so an IPv4 CIDR matches it too. */
export function parseForMatching(address: string): Ip | null {
  const ip = parseIp(address);
  if (ip !== null && ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (ip as ipaddr.IPv6).toIPv4Address();
  }
  return ip;
}
