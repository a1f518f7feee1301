import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { assertJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

/**
 * Request-body handling shared by the Express API and the lean `/hooks` handler, so both refuse the same bodies with
 * the same problem (see `problemFromBodyError`). Errors carry `status` and `type` the way body-parser's do.
 */
export function bodyError(status: number, type: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true, ...extra });
}

/**
 * Work bounds on a parsed body, checked before validation or a run sees it. class-transformer's handling of an
 * object's keys is quadratic (90,000 keys took seconds of CPU on the event loop and stalled every tenant), and
 * validators and templates walk every node; these caps keep one request's work small.
 */
export const JSON_LIMITS = {
  depth: MAX_JSON_DEPTH,
  keysPerObject: 1000,
  arrayLength: 10_000,
  nodes: 50_000,
  stringLength: 262_144,
} as const;

/** Keys that reach object prototypes when copied or merged; no body may carry them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// A string beyond the bound is content too large (413, like a body over the byte limit); other bounds are 400.
const refuse = (path: string, message: string, status = 400): Error =>
  bodyError(status, 'entity.shape.refused', 'The request body exceeds a structural limit', {
    errors: [{ path: path.slice(0, 200), message }],
  });

const child = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? path
        ? `${path}.${key}`
        : key
      : `${path}[${JSON.stringify(key.slice(0, 40))}]`;

/** Walks a parsed body once (iteratively) and throws on the first bound it breaks or a forbidden key. */
export function assertJsonShape(value: unknown): void {
  const stack: [unknown, string, number][] = [[value, '', 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (++nodes > JSON_LIMITS.nodes) throw refuse(path, `more than ${JSON_LIMITS.nodes} values in the body`);
    if (depth > JSON_LIMITS.depth) throw refuse(path, 'nested too deeply');
    if (typeof v === 'string') {
      if (v.length > JSON_LIMITS.stringLength)
        throw refuse(path, `string longer than ${JSON_LIMITS.stringLength} characters`, 413);
    } else if (Array.isArray(v)) {
      if (v.length > JSON_LIMITS.arrayLength) throw refuse(path, `more than ${JSON_LIMITS.arrayLength} items`);
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], child(path, i), depth + 1]);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length > JSON_LIMITS.keysPerObject) throw refuse(path, `more than ${JSON_LIMITS.keysPerObject} keys`);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        if (FORBIDDEN_KEYS.has(k)) throw refuse(child(path, k), 'forbidden key');
        if (k.length > JSON_LIMITS.stringLength)
          throw refuse(path, `key longer than ${JSON_LIMITS.stringLength} characters`, 413);
        stack.push([(v as Record<string, unknown>)[k], child(path, k), depth + 1]);
      }
    }
  }
}

const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0].trim().toLowerCase();
export const isJsonType = (contentType: string | undefined): boolean => {
  const t = mediaType(contentType);
  return t === 'application/json' || (t.startsWith('application/') && t.endsWith('+json'));
};

/**
 * Bodies are read as sent: no content coding (gzip and friends would need their own inflation limits), and JSON only
 * in UTF-8 (RFC 8259). Anything else is 415 before a byte is read.
 */
export function assertBodyEncoding(headers: IncomingHttpHeaders): void {
  const coding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity' && coding !== '')
    throw bodyError(415, 'encoding.unsupported', `unsupported content encoding "${coding}"`);
  if (!isJsonType(headers['content-type'])) return;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw bodyError(415, 'charset.unsupported', `unsupported charset "${charset}"`);
}

/** Reads the raw body up to `limit` bytes (the Content-Length is checked first). */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => bodyError(413, 'entity.too.large', 'request entity too large');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Strict JSON with the depth bound before parsing and the shape bounds after. */
export function parseJsonBody(raw: Buffer): unknown {
  assertJsonDepth(raw);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw bodyError(400, 'entity.parse.failed', 'invalid JSON');
  }
  assertJsonShape(value);
  return value;
}

/**
 * Express: the whole body stage as one middleware. Unsupported codings and charsets are refused before a byte is
 * read; a request that declares no body (no Content-Length, no Transfer-Encoding: body-parser's own test) goes on
 * at once, without passing through the parsers; otherwise strict JSON (raw bytes kept for signature checks, the
 * depth bound checked before parsing) or a URL-encoded form, then the shape bounds on what was parsed.
 */
export function bodyMiddleware(limit: number) {
  const json = express.json({
    limit,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buf) => {
      assertJsonDepth(buf);
      (req as { rawBody?: Buffer }).rawBody = buf;
    },
  });
  const form = express.urlencoded({ limit, extended: false });
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      assertBodyEncoding(req.headers);
    } catch (e) {
      return next(e);
    }
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length'])))
      return next();
    json(req, res, (err?: unknown) => {
      if (err) return next(err);
      form(req, res, (err2?: unknown) => {
        if (err2) return next(err2);
        try {
          if (req.body !== null && typeof req.body === 'object') assertJsonShape(req.body);
        } catch (e) {
          return next(e);
        }
        next();
      });
    });
  };
}
