import { encodeRequestBody, type EgressRequestBody } from './egress-body.js';
import { EgressDeniedError } from './egress.errors.js';
import { EgressPolicy } from './egress-policy.js';
import type { HopRequest } from './egress-redirects.js';
import { type EgressResolver, systemResolver } from './egress-resolver.js';
import { type EgressTarget, parseEgressTarget } from './egress-target.js';

export type EgressMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Options of `safeHttpRequest`. */
export interface SafeHttpRequestOptions {
  /** Default `GET`. Case-insensitive. CONNECT and TRACE are refused. */
  method?: EgressMethod | Lowercase<EgressMethod>;
  /** An absolute http or https URL without user name or password. */
  url: string | URL;
  /** Host, Content-Length, Connection and other transport headers are set by the client and ignored here. */
  headers?: Record<string, string | number | boolean>;
  /** A string or bytes are sent as is; other values as JSON (with `Content-Type: application/json` unless set). */
  body?: EgressRequestBody | null;
  /** Covers DNS, connect, every redirect and the whole response body. Default 30,000 ms. */
  timeoutMs?: number;
  /** Cap on the (decoded) response body. Default 5 MiB. */
  maxResponseBytes?: number;
  /** Redirects followed before refusing with `too_many_redirects`. Default 5; 0 refuses any redirect. */
  maxRedirects?: number;
  /** The org allowlist (CIDRs and exact hostnames) or a prebuilt policy. Default: nothing extra allowed. */
  allowlist?: readonly string[] | EgressPolicy;
  /** How hostnames are resolved. Default `dns.promises.lookup(host, { all: true })`. */
  resolver?: EgressResolver;
  /** Cancels the request (e.g. the run was cancelled); it then fails with reason `aborted`. */
  signal?: AbortSignal;
  /** `bytes`: the body is returned as the (decoded) Buffer received, never parsed. Default `parsed`. */
  responseBody?: 'parsed' | 'bytes';
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

export interface EgressSettings {
  firstHop: HopRequest;
  firstTarget: EgressTarget;
  policy: EgressPolicy;
  resolver: EgressResolver;
  timeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
  rawBody: boolean;
}

const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// Framing and routing headers belong to the client: a flow setting Host or Transfer-Encoding could
// desynchronise the request or address a different virtual host than the one we validated.
const MANAGED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);

/** Validates the options and builds the first request. Throws EgressDeniedError before any network use. */
export function resolveSettings(options: SafeHttpRequestOptions): EgressSettings {
  const method = (options.method ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) {
    throw new EgressDeniedError('invalid_request', `The HTTP method ${method.slice(0, 16)} is not supported.`);
  }
  const firstTarget = parseEgressTarget(options.url);
  const encoded = encodeRequestBody(options.body);
  const headers = normaliseHeaders(options.headers ?? {});
  if (encoded?.contentType && headers['content-type'] === undefined) {
    headers['content-type'] = encoded.contentType;
  }
  const policy = options.allowlist instanceof EgressPolicy ? options.allowlist : policyFrom(options.allowlist ?? []);
  return {
    firstHop: { url: firstTarget.url, method, headers, body: encoded?.bytes },
    firstTarget,
    policy,
    resolver: options.resolver ?? systemResolver,
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES),
    maxRedirects: positive('maxRedirects', options.maxRedirects ?? DEFAULT_MAX_REDIRECTS, true),
    rawBody: options.responseBody === 'bytes',
  };
}

function normaliseHeaders(input: Record<string, string | number | boolean>): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'Tenantflow', accept: '*/*' };
  for (const [name, value] of Object.entries(input)) {
    const key = name.toLowerCase();
    if (!MANAGED_HEADERS.has(key)) {
      headers[key] = String(value);
    }
  }
  return headers;
}

function policyFrom(allowlist: readonly string[]): EgressPolicy {
  try {
    return new EgressPolicy(allowlist);
  } catch (error) {
    throw new EgressDeniedError('invalid_request', (error as Error).message, { cause: error });
  }
}

// setTimeout silently turns larger delays into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

function positive(name: string, value: number, zeroAllowed = false): number {
  const inRange = value > 0 || (zeroAllowed && value === 0);
  const ok = Number.isSafeInteger(value) && inRange && value <= MAX_TIMER_MS;
  if (!ok) {
    const kind = zeroAllowed ? 'a non-negative' : 'a positive';
    throw new EgressDeniedError('invalid_request', `${name} must be ${kind} integer up to ${MAX_TIMER_MS}.`);
  }
  return value;
}
