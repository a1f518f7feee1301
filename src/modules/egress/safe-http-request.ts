import type { IncomingMessage } from 'node:http';
import { parseResponseBody, readCappedBody } from './egress-body.js';
import { EgressDeniedError, EgressError } from './egress.errors.js';
import { abortError, connectionError, openHop } from './egress-hop.js';
import { type EgressSettings, resolveSettings, type SafeHttpRequestOptions } from './egress-options.js';
import { type HopRequest, redirectedRequest, redirectLocation } from './egress-redirects.js';
import { resolveAllowedAddresses } from './egress-resolver.js';
import { type EgressTarget, parseEgressTarget } from './egress-target.js';

/** The final (non-redirect) response. */
export interface SafeHttpResponse {
  status: number;
  statusText: string;
  /** Lower-case names, as Node parses them; repeated headers such as set-cookie are arrays. */
  headers: Record<string, string | string[]>;
  /** Parsed JSON for JSON types, a string for textual types, a Buffer otherwise ('' when empty). */
  body: unknown;
  /** The URL that produced this response, after redirects. */
  url: string;
  /** Every URL redirected to, in order; empty when there was no redirect. */
  redirects: string[];
}

/**
 * Outbound HTTP for flows, guarded against SSRF. Every hop (the first request and each redirect) has its
 * scheme checked, its name resolved once, every resolved address checked against the org policy, and the
 * socket pinned to those checked addresses. Redirects are followed here, never by the transport.
 * Throws EgressDeniedError (policy and limits), EgressNetworkError (DNS, connection) or EgressError
 * (`aborted`). HTTP error statuses (4xx, 5xx) are responses, not errors.
 */
export async function safeHttpRequest(options: SafeHttpRequestOptions): Promise<SafeHttpResponse> {
  const settings = resolveSettings(options);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutError(settings.timeoutMs)), settings.timeoutMs);
  const onCallerAbort = (): void => controller.abort(abortError(options.signal as AbortSignal));
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (options.signal?.aborted) {
    onCallerAbort();
  }
  try {
    return await followChain(settings, controller.signal);
  } catch (error) {
    throw error instanceof EgressError || !controller.signal.aborted ? error : abortError(controller.signal);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

async function followChain(settings: EgressSettings, signal: AbortSignal): Promise<SafeHttpResponse> {
  let hop: HopRequest = settings.firstHop;
  let target: EgressTarget = settings.firstTarget;
  const redirects: string[] = [];
  for (;;) {
    const addresses = await untilAborted(resolveAllowedAddresses(target, settings.policy, settings.resolver), signal);
    const res = await openHop(hop, target, addresses, signal);
    const status = res.statusCode ?? 0;
    const location = redirectLocation(status, res.headers);
    if (location === null) {
      return finalResponse(res, target, redirects, settings, signal);
    }
    // The redirect's own body is never read: only its Location matters.
    res.destroy();
    if (redirects.length >= settings.maxRedirects) {
      throw new EgressDeniedError(
        'too_many_redirects',
        `${target.display} redirected more than ${settings.maxRedirects} times; the request was stopped.`,
      );
    }
    target = parseEgressTarget(location, hop.url);
    hop = redirectedRequest(hop, status, target.url);
    redirects.push(target.url.href);
  }
}

async function finalResponse(
  res: IncomingMessage,
  target: EgressTarget,
  redirects: string[],
  settings: EgressSettings,
  signal: AbortSignal,
): Promise<SafeHttpResponse> {
  let bytes: Buffer;
  try {
    bytes = await readCappedBody(res, settings.maxResponseBytes, signal);
  } catch (error) {
    throw connectionError(error, target, signal);
  }
  const headers = Object.fromEntries(
    Object.entries(res.headers).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined),
  );
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers,
    body: settings.rawBody ? bytes : parseResponseBody(bytes, res.headers['content-type']),
    url: target.url.href,
    redirects,
  };
}

// DNS lookups cannot be cancelled, so the deadline races them instead.
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function timeoutError(timeoutMs: number): EgressDeniedError {
  return new EgressDeniedError('timeout', `The request did not complete within ${timeoutMs} ms.`);
}
