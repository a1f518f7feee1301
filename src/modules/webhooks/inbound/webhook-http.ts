import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  problem,
  problemFromMiddlewareError,
  sendProblem as writeProblem,
  type Problem,
} from '../../../core/errors/problem.js';
import { assertSingleHeader } from '../../../core/http/headers.js';
import type { WebhookAuth } from '../../flows/index.js';
import {
  assertBodyEncoding,
  assertJsonShape,
  isJsonType,
  parseJsonBody,
  readRawBody,
} from '../../../core/http/body.js';

/**
 * The body as flows see it, read through the API's body rules (`core/http/body.ts`: coding and charset, size, JSON
 * depth and shape bounds, forbidden keys): JSON parsed, forms as objects, text as a string, other bytes as `{base64}`.
 * Refusals are body errors that `problemFromMiddlewareError` turns into the API's problem.
 */
export async function readWebhookBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ rawBody: Buffer; body: unknown }> {
  assertBodyEncoding(req.headers);
  const rawBody = await readRawBody(req, limit);
  return { rawBody, body: parseBody(rawBody, req.headers['content-type']) };
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return null;
  if (isJsonType(contentType)) return parseJsonBody(raw);
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    assertJsonShape(form);
    return form;
  }
  if (type === '' || type.startsWith('text/') || type === 'application/xml') return raw.toString('utf8');
  return { base64: raw.toString('base64') };
}

/** Credential headers of this trigger must appear once (400 otherwise), as on the API. */
export function assertSingleAuthHeaders(req: IncomingMessage, auth: WebhookAuth): void {
  assertSingleHeader(req, 'authorization');
  if (auth.mode === 'header') assertSingleHeader(req, auth.name);
  if (auth.mode === 'hmac') {
    for (const name of [auth.signatureHeader, auth.timestampHeader]) if (name) assertSingleHeader(req, name);
  }
}

/** A refusal from reading the body, as the problem the API would answer. */
export function bodyProblem(e: unknown): Problem | null {
  const err = e as { expose?: unknown; type?: unknown } | null;
  return err && typeof err === 'object' && err.expose === true && typeof err.type === 'string'
    ? problemFromMiddlewareError(err as never)
    : null;
}

/** Query parameters; a repeated name keeps its last value. */
export function parseQuery(search: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(search)) out[k] = v;
  return { ...out };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body) ?? 'null';
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The API's problem writer (`core/errors/problem.ts`), called with the parts. */
export function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  writeProblem(res, problem(status, code, detail, extra), headers);
}

/** A `respond` node's answer: strings as text/plain unless its headers say otherwise; other values as JSON. */
export function sendResponded(
  res: ServerResponse,
  r: { status: number; headers: Record<string, string>; body: unknown },
): void {
  const headers = { ...r.headers };
  let payload: string | undefined;
  if (typeof r.body === 'string') {
    payload = r.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (r.body !== undefined && r.body !== null) {
    payload = JSON.stringify(r.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(payload);
}
