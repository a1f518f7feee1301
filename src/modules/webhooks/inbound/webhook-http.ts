import type { IncomingMessage, ServerResponse } from 'node:http';
import { problem } from '../../../core/errors/problem.js';

export class BodyTooLarge extends Error {}
export class MalformedBody extends Error {}

/** Reads the raw body up to `limit` bytes (the Content-Length is checked first). */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The body as flows see it: JSON parsed, forms as objects, text as a string, other bytes as `{base64}`. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return null;
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw new MalformedBody();
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  if (type === '' || type.startsWith('text/') || type === 'application/xml') return raw.toString('utf8');
  return { base64: raw.toString('base64') };
}

/** Query parameters; a repeated name keeps its last value. */
export function parseQuery(search: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(search)) out[k] = v;
  return { ...out };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) ?? 'null';
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendProblem(res: ServerResponse, status: number, code: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(problem(status, code, detail, extra));
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A `respond` node's answer: strings as text/plain unless its headers say otherwise; other values as JSON. */
export function sendResponded(res: ServerResponse, r: { status: number; headers: Record<string, string>; body: unknown }): void {
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
