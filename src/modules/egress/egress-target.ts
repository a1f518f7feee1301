import { isIP } from 'node:net';
import { EgressDeniedError } from './egress.errors.js';

/** A validated request URL, split into what the connection needs. */
export interface EgressTarget {
  url: URL;
  /** The hostname without IPv6 brackets, as WHATWG URL normalised it (lower case, punycode, IPv4 canonical). */
  hostname: string;
  port: number;
  /** Set when the URL names an address rather than a DNS name; it is checked as is, never resolved. */
  ipLiteral: string | null;
  /** `scheme://host[:port]`: safe to show a flow author (no path or query, which may carry secrets). */
  display: string;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * Parses and checks a request or redirect URL. WHATWG URL parsing normalises every IPv4 spelling
 * (decimal 2130706433, octal 0177.0.0.1, hex 0x7f.0.0.1, short 127.1) to a dotted quad and IPv6 to its
 * compressed form, so the address check only ever sees canonical literals.
 * Any port is allowed: the address rules, not the port, keep requests off internal hosts.
 */
export function parseEgressTarget(input: string | URL, base?: URL): EgressTarget {
  const url = parseUrl(input, base);
  if (!(url.protocol in DEFAULT_PORTS)) {
    throw new EgressDeniedError(
      'scheme_forbidden',
      `Only http and https URLs are allowed, not "${url.protocol.slice(0, 20)}".`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    // Userinfo would be sent nowhere by Node and silently dropped; make the author move it to a header.
    throw new EgressDeniedError(
      'credentials_in_url',
      'URLs must not contain a user name or password. Send credentials in a header or use a connection.',
    );
  }
  if (url.hostname === '') {
    throw invalidUrl();
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    url,
    hostname,
    port: url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port),
    ipLiteral: isIP(hostname) === 0 ? null : hostname,
    display: `${url.protocol}//${url.host}`,
  };
}

function parseUrl(input: string | URL, base?: URL): URL {
  const url = URL.parse(String(input), base?.href);
  if (url === null) {
    throw invalidUrl();
  }
  return url;
}

// The URL itself is not echoed: query strings often hold API keys.
function invalidUrl(): EgressDeniedError {
  return new EgressDeniedError('invalid_url', 'The URL is not a valid absolute http or https URL.');
}
