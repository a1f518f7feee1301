import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { RequestContextStore, type RequestContext } from '../context/request-context.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Tracing } from '../tracing/tracing.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const SECURITY_HEADERS: [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

export interface RequestObserver {
  log: Logger;
  metrics: Metrics;
  production: boolean;
  /** Send HSTS (production, or an https `TENANTFLOW_PUBLIC_URL`: browsers reach the server over https). */
  hsts?: boolean;
  /** One server span per request when tracing is on. */
  tracing?: Tracing;
}

/** The observer every request path uses (Express and the lean `/hooks` handler), from the server's settings. */
export function requestObserver(config: AppConfig, log: Logger, metrics: Metrics, tracing?: Tracing): RequestObserver {
  const hsts = (config.optional('TENANTFLOW_PUBLIC_URL') ?? '').startsWith('https:');
  return { log, metrics, tracing, production: config.isProduction, hsts };
}

/**
 * The API answers JSON only: nothing may load. The docs page (swagger-ui) loads its own scripts, styles, fonts and
 * data-URI images from this origin and fetches the OpenAPI document (and "try it out" calls) from it; its inline
 * `<style>` blocks need 'unsafe-inline' for styles only. No inline or remote script runs anywhere.
 */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Warned once per process: a misconfigured proxy setup shows in the log without flooding it. */
let ignoredForwardedFor = false;

/**
 * What every request gets, whether Express serves it or a lean handler (webhooks): a request id (accepted or
 * generated, echoed), security headers, and on finish the duration metric and one access log line. Returns the
 * request's context, in which the caller runs the handler.
 */
export function beginRequest(
  req: IncomingMessage,
  res: ServerResponse,
  o: RequestObserver,
  route: () => string,
  ip: string | undefined,
): RequestContext {
  if (!ignoredForwardedFor && req.headers['x-forwarded-for'] !== undefined && ip === req.socket.remoteAddress) {
    ignoredForwardedFor = true;
    o.log.warn(
      'X-Forwarded-For from a peer that is not a trusted proxy is ignored (the client address is the peer); behind a proxy, set TENANTFLOW_TRUST_PROXY to its addresses',
    );
  }
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  const started = process.hrtime.bigint();
  res.setHeader('X-Request-Id', requestId);
  for (const [k, v] of SECURITY_HEADERS) res.setHeader(k, v);
  res.setHeader('Content-Security-Policy', isDocs(req.url) ? DOCS_CSP : API_CSP);
  if (o.production || o.hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const path = route();
    o.metrics.observeRequest(req.method ?? 'GET', path, res.statusCode, seconds);
    if (!o.log.isLevelEnabled('info')) return;
    RequestContextStore.run({ requestId }, () =>
      o.log.info(
        { method: req.method, route: path, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      ),
    );
  });
  return { requestId, ip, userAgent: req.headers['user-agent'] };
}

/**
 * {@link beginRequest}, then `handler` inside the request's context and, when tracing is on, inside the request's
 * server span (named by method and route template; it carries no path, header value or body).
 */
export function runRequest(
  req: IncomingMessage,
  res: ServerResponse,
  o: RequestObserver,
  route: () => string,
  ip: string | undefined,
  handler: () => void,
): void {
  const ctx = beginRequest(req, res, o, route, ip);
  const method = req.method ?? 'GET';
  // Off: no attribute object, no closure; the request costs what it did before tracing existed.
  const traced = o.tracing?.enabled
    ? o.tracing.startServerSpan(method, { 'http.request.method': method }, req.headers)
    : undefined;
  if (!traced) return RequestContextStore.run(ctx, handler);
  // 'close' follows 'finish', and also comes alone when the client goes away first.
  res.once('close', () => {
    const path = route();
    traced.span.updateName(`${method} ${path}`);
    traced.span.setAttributes({ 'http.route': path, 'http.response.status_code': res.statusCode });
    if (res.statusCode >= 500 || !res.writableFinished) traced.span.setStatus({ code: SpanStatusCode.ERROR });
    traced.span.end();
  });
  RequestContextStore.run(ctx, () => traced.run(handler));
}

const isDocs = (url: string | undefined): boolean =>
  url === '/docs' || !!url?.startsWith('/docs/') || !!url?.startsWith('/docs?');

/** Express middleware: {@link runRequest} with the rest of the chain as the handler. */
export function requestContextMiddleware(o: RequestObserver) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const route = () => (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    runRequest(req, res, o, route, req.ip, next);
  };
}
