import type { ServerResponse } from 'node:http';
import { RequestContextStore } from '../context/request-context.js';
import { MAX_JSON_DEPTH } from '../http/json-depth.js';
import type { FieldError } from './app.exception.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  requestId?: string;
  [key: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return {
    type: `https://tenantflow.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
    requestId: RequestContextStore.get()?.requestId,
  };
}

export const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
};

/**
 * Maps body-reading errors (body-parser's, and `core/http/body.ts`'s, which carry `status`/`type`) to problems: the
 * Express API and the lean `/hooks` handler answer the same body with the same problem.
 */
export function problemFromMiddlewareError(err: {
  status?: number;
  statusCode?: number;
  type?: string;
  errors?: unknown;
}): Problem | null {
  const status = err.status ?? err.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  if (err.type === 'entity.parse.failed') return problem(400, 'malformed_json', 'The request body is not valid JSON');
  if (err.type === 'entity.too.deep')
    return problem(400, 'validation_failed', `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`, {
      errors: [{ path: '', message: 'nested too deeply' }],
    });
  if (err.type === 'entity.shape.refused') {
    const errors = Array.isArray(err.errors) ? err.errors : [];
    if (status === 413) return problem(413, 'payload_too_large', 'The request body exceeds the size limit', { errors });
    return problem(400, 'validation_failed', 'The request body exceeds a structural limit', { errors });
  }
  if (err.type === 'header.duplicate')
    return problem(
      400,
      'bad_request',
      'A header that may appear only once (such as Authorization) was sent more than once',
    );
  if (err.type === 'entity.too.large')
    return problem(413, 'payload_too_large', 'The request body exceeds the size limit');
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported')
    return problem(415, 'unsupported_media_type', 'Unsupported body encoding');
  return problem(status, HTTP_CODES[status] ?? 'bad_request', 'The request could not be processed');
}

/** Writes an RFC 9457 problem document (plain Node response, so Express and the lean handlers share it). */
export function sendProblem(res: ServerResponse, p: Problem, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(p);
  res.writeHead(p.status, {
    ...headers,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
