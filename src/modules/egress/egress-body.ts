import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { EgressDeniedError } from './egress.errors.js';

/** What a flow may send: raw bytes or text as is; any other value is sent as JSON. */
export type EgressRequestBody = string | Buffer | Uint8Array | Record<string, unknown> | unknown[] | number | boolean;

export interface EncodedBody {
  bytes: Buffer;
  /** Set when the body was serialised to JSON and the caller gave no Content-Type. */
  contentType?: string;
}

export function encodeRequestBody(body: EgressRequestBody | null | undefined): EncodedBody | undefined {
  if (body === undefined || body === null) {
    return undefined;
  }
  if (typeof body === 'string') {
    return { bytes: Buffer.from(body, 'utf8') };
  }
  if (body instanceof Uint8Array) {
    return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
  return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' };
}

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Reads the response body, refusing it once more than `maxBytes` arrive. Compressed bodies are decoded
 * and the cap applies to the decoded size too, so a small gzip bomb cannot expand past it.
 */
export async function readCappedBody(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge(maxBytes);
  }
  const stream = decodedStream(res);
  const onAbort = (): void => {
    stream.destroy(signal.reason as Error);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) {
    onAbort();
  }
  try {
    return await collect(stream, maxBytes);
  } finally {
    signal.removeEventListener('abort', onAbort);
    res.destroy();
  }
}

async function collect(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function decodedStream(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder = DECODERS[encoding];
  // Unknown or stacked encodings are returned as received; pipeline forwards errors from either side.
  return decoder ? (pipeline(res, decoder(), () => {}) as unknown as Readable) : res;
}

function tooLarge(maxBytes: number): EgressDeniedError {
  return new EgressDeniedError(
    'response_too_large',
    `The response is larger than the ${maxBytes}-byte limit for this request.`,
  );
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json$|^text\/json$/;
const TEXT_TYPE =
  /^text\/|^application\/([\w.+-]*\+)?xml$|^application\/(x-www-form-urlencoded|javascript|ecmascript)$/;

/**
 * Turns the bytes into what a flow wants: JSON types parsed (falling back to the text when the server lied),
 * textual types as strings in their declared charset, anything else as a Buffer.
 */
export function parseResponseBody(bytes: Buffer, contentType: string | undefined): unknown {
  const [mediaType, ...params] = (contentType ?? '')
    .toLowerCase()
    .split(';')
    .map((part) => part.trim());
  const isJson = JSON_TYPE.test(mediaType);
  if (!isJson && !TEXT_TYPE.test(mediaType)) {
    return bytes.length === 0 ? '' : bytes;
  }
  const text = decodeText(bytes, params);
  if (!isJson || text.trim() === '') {
    return text;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function decodeText(bytes: Buffer, params: string[]): string {
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replaceAll('"', '');
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    // An unknown charset label: UTF-8 is the most useful guess.
    return new TextDecoder('utf-8').decode(bytes);
  }
}
