import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { EgressDeniedError, EgressError, EgressNetworkError } from './egress.errors.js';
import type { HopRequest } from './egress-redirects.js';
import { pinnedLookup, type ResolvedAddress } from './egress-resolver.js';
import type { EgressTarget } from './egress-target.js';

/**
 * Sends one request to already validated addresses and resolves with the response head; the caller reads
 * or discards the body. Redirects are never followed here.
 */
export function openHop(
  hop: HopRequest,
  target: EgressTarget,
  addresses: readonly ResolvedAddress[],
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const transport = target.url.protocol === 'https:' ? https : http;
    let request: http.ClientRequest;
    try {
      request = transport.request({
        hostname: target.hostname,
        port: target.port,
        path: `${target.url.pathname}${target.url.search}`,
        method: hop.method,
        headers: withContentLength(hop),
        lookup: pinnedLookup(addresses),
        // A private agent: no pooled socket from another org's request, and no proxy picked up from the
        // environment (NODE_USE_ENV_PROXY), which would resolve the name again behind our back.
        agent: false,
        signal,
      });
    } catch (error) {
      // Node validates header names and values synchronously; the values themselves are not echoed.
      reject(
        new EgressDeniedError('invalid_request', 'A request header name or value is not valid.', { cause: error }),
      );
      return;
    }
    request.once('response', resolve);
    request.once('error', (error) => reject(connectionError(error, target, signal)));
    request.end(hop.body);
  });
}

// Like fetch: a length for any body, and an explicit 0 for body-less methods that normally carry one.
function withContentLength(hop: HopRequest): Record<string, string> {
  if (hop.body === undefined && !METHODS_WITH_BODY.has(hop.method)) {
    return hop.headers;
  }
  return { ...hop.headers, 'content-length': String(hop.body?.length ?? 0) };
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Maps a socket or abort error to the typed error a flow author sees. */
export function connectionError(error: unknown, target: EgressTarget, signal: AbortSignal): EgressError {
  if (error instanceof EgressError) {
    return error;
  }
  if (signal.aborted) {
    return abortError(signal);
  }
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new EgressNetworkError('connection_failed', `The request to ${target.display} failed (${code}).`, {
    cause: error,
  });
}

/** The typed error for an aborted signal: our deadline, or the caller's cancellation. */
export function abortError(signal: AbortSignal): EgressError {
  const reason: unknown = signal.reason;
  return reason instanceof EgressError
    ? reason
    : new EgressError('aborted', 'The request was cancelled.', { cause: reason });
}
