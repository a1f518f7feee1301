import type { IncomingHttpHeaders } from 'node:http';

/** One outgoing request in a redirect chain. Header names are lower case. */
export interface HopRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// Fetch's "request-body-header names": meaningless once the body is dropped.
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type'];

// Fetch strips Authorization across origins; cookies and proxy credentials are just as secret.
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** The Location of a redirect response, or null when the response is final (a 3xx without Location is). */
export function redirectLocation(status: number, headers: IncomingHttpHeaders): string | null {
  const location = headers.location;
  return REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== '' ? location : null;
}

/**
 * The request to send to `next` after a `status` redirect, following fetch semantics: 303 turns anything but
 * HEAD into a body-less GET, so does 301/302 after a POST; 307/308 repeat method and body. Credentials are
 * dropped for good once the chain leaves the original origin.
 */
export function redirectedRequest(previous: HopRequest, status: number, next: URL): HopRequest {
  const headers = { ...previous.headers };
  let { method, body } = previous;
  const toGet = (status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST');
  if (toGet) {
    method = 'GET';
    body = undefined;
    BODY_HEADERS.forEach((name) => delete headers[name]);
  }
  if (next.origin !== previous.url.origin) {
    CREDENTIAL_HEADERS.forEach((name) => delete headers[name]);
  }
  return { url: next, method, headers, body };
}
