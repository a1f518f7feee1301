import type { EgressRequestBody } from './egress-body.js';
import { type EgressMethod } from './egress-options.js';
import type { EgressResolver } from './egress-resolver.js';
import { safeHttpRequest } from './safe-http-request.js';

/** The subset of `fetch` HTTP clients call (openid-client's `customFetch`, SDKs taking a `fetch` option). */
export type EgressFetch = (url: string | URL, init?: EgressFetchInit) => Promise<Response>;

export interface EgressFetchInit {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | null;
  redirect?: 'follow' | 'manual' | 'error';
  signal?: AbortSignal | null;
}

export interface EgressFetchOptions {
  /** The org's allowlist, read again for every request (a change applies at the next call). */
  allowlist: () => readonly string[] | Promise<readonly string[]>;
  resolver?: EgressResolver;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Called with every error before it is thrown (e.g. to audit policy refusals; see `egressRefusalOf`). */
  onError?: (error: unknown) => void | Promise<void>;
}

// Set by the transport for the bytes it actually hands over (decoded), not by the remote server.
const DROPPED_RESPONSE_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding']);
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch-compatible client over `safeHttpRequest`: every request (and every redirect hop) is checked against the
 * org's egress policy, resolved once and pinned. Errors are the egress errors (not fetch's TypeError), so callers
 * can tell a refusal from network trouble. `redirect: 'manual' | 'error'` refuses redirects rather than returning them.
 */
export function createEgressFetch(options: EgressFetchOptions): EgressFetch {
  return async (url, init = {}) => {
    try {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => (headers[name] = value));
      const body = requestBody(init.body, headers);
      const res = await safeHttpRequest({
        method: (init.method ?? 'GET').toUpperCase() as EgressMethod,
        url,
        headers,
        body,
        allowlist: await options.allowlist(),
        resolver: options.resolver,
        timeoutMs: options.timeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        maxRedirects: init.redirect === undefined || init.redirect === 'follow' ? undefined : 0,
        signal: init.signal ?? undefined,
        responseBody: 'bytes',
      });
      return toResponse(res.status, res.statusText, res.headers, res.body as Buffer, res.url);
    } catch (error) {
      await options.onError?.(error);
      throw error;
    }
  };
}

function requestBody(body: EgressFetchInit['body'], headers: Record<string, string>): EgressRequestBody | undefined {
  if (body === undefined || body === null) return undefined;
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    return body.toString();
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('createEgressFetch: unsupported request body type');
}

function toResponse(
  status: number,
  statusText: string,
  raw: Record<string, string | string[]>,
  bytes: Buffer,
  url: string,
): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (DROPPED_RESPONSE_HEADERS.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const res = new Response(NULL_BODY_STATUS.has(status) ? null : new Uint8Array(bytes), {
    status,
    statusText,
    headers,
  });
  // Response.url is read-only and empty for constructed responses; clients that check it get the final URL.
  Object.defineProperty(res, 'url', { value: url });
  return res;
}
