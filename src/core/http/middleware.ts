import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { RequestContextStore, type RequestContext } from '../context/request-context.js';
import type { Metrics } from '../metrics/metrics.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface RequestObserver {
  log: Logger;
  metrics: Metrics;
  production: boolean;
}

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
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  const started = process.hrtime.bigint();
  res.setHeader('X-Request-Id', requestId);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (!req.url?.startsWith('/docs')) res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  if (o.production) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const path = route();
    o.metrics.observeRequest(req.method ?? 'GET', path, res.statusCode, seconds);
    if (!o.log.isLevelEnabled('info')) return;
    RequestContextStore.run({ requestId }, () =>
      o.log.info({ method: req.method, route: path, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request'),
    );
  });
  return { requestId, ip, userAgent: req.headers['user-agent'] };
}

/** Express middleware: {@link beginRequest}, then the rest of the chain inside the request's context. */
export function requestContextMiddleware(log: Logger, metrics: Metrics, production: boolean) {
  const o = { log, metrics, production };
  return (req: Request, res: Response, next: NextFunction): void => {
    const route = () => (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    RequestContextStore.run(beginRequest(req, res, o, route, req.ip), next);
  };
}
