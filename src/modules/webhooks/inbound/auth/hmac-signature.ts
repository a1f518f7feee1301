import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from '../../../../core/crypto/tokens.js';
import type { WebhookAuth as WebhookAuthSettings } from '../../../flows/index.js';

type HmacSettings = Extract<WebhookAuthSettings, { mode: 'hmac' }> & { preset?: 'generic' | 'github' | 'stripe' };
export type HmacPreset = 'generic' | 'github' | 'stripe';

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signed material found in a request, before the secret is involved. */
export interface SignedParts {
  /** Signature candidates (Stripe may send several `v1`); decoded bytes. */
  signatures: Buffer[];
  /** Unix seconds, or null when the preset signs no timestamp (GitHub). */
  timestamp: number | null;
  /** Exactly the bytes the sender signed. */
  payload: Buffer;
  /**
   * What the replay cache remembers: a digest of the signed bytes (timestamp and body), never the header's text.
   * Every spelling of one delivery (hex case, field order, spaces, an extra candidate) verifies the same bytes, so
   * it is one delivery, run once.
   */
  replayKey: string;
}

/** Why no signed parts could be read: the header is absent, or present but not in the preset's exact form. */
export type SignedPartsFailure = 'missing' | 'malformed';

/**
 * Which header convention applies: set explicitly (`preset`), or recognised from the signature header name
 * (`stripe-signature` → Stripe, `x-hub-signature-256` → GitHub), else the generic timestamped form.
 */
export function hmacPreset(s: HmacSettings): HmacPreset {
  if (s.preset) return s.preset;
  const h = s.signatureHeader?.toLowerCase();
  if (h === 'stripe-signature') return 'stripe';
  if (h === 'x-hub-signature-256') return 'github';
  return 'generic';
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

const DIGEST_BYTES = { sha256: 32, sha512: 64 } as const;
const LOWER_HEX_256 = /^[0-9a-f]{64}$/;

/** Decodes a signature of exactly `bytes` bytes; hex in either case, base64 or base64url in canonical form only. */
function decode(text: string, encoding: 'hex' | 'base64', bytes: number): Buffer | null {
  if (encoding === 'hex')
    return text.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(text) ? Buffer.from(text, 'hex') : null;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  const buf = Buffer.from(text, 'base64');
  // Buffer decoding skips stray characters and padding bits: only the canonical text of these bytes is accepted.
  const canonical = [buf.toString('base64'), buf.toString('base64url'), buf.toString('base64').replace(/=+$/, '')];
  return buf.length === bytes && canonical.includes(text) ? buf : null;
}

const parseTimestamp = (raw: string): number | null => (/^\d{1,12}$/.test(raw) ? Number(raw) : null);

const signed = (timestamp: number | null, signatures: Buffer[], rawBody: Buffer): SignedParts => {
  const payload = timestamp === null ? rawBody : Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]);
  return {
    signatures,
    timestamp,
    payload,
    replayKey: `${timestamp ?? '-'}:${createHash('sha256').update(payload).digest('base64url')}`,
  };
};

/**
 * Stripe's `t=<unix>,v1=<hex>[,v1=<hex>…]`, read strictly: no spaces, exactly one `t`, every `v1` 64 lower-case hex
 * digits, other schemes (`v0`) ignored but well formed, at most 8 fields.
 */
function stripeParts(raw: string, rawBody: Buffer): SignedParts | SignedPartsFailure {
  const fields = raw.split(',');
  if (fields.length > 8) return 'malformed';
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const field of fields) {
    const m = /^([a-z][a-z0-9]{0,7})=([^\s=,]+)$/.exec(field);
    if (!m) return 'malformed';
    const [, key, value] = m;
    if (key === 't') {
      if (timestamp !== null) return 'malformed';
      timestamp = parseTimestamp(value);
      if (timestamp === null) return 'malformed';
    } else if (key === 'v1') {
      if (!LOWER_HEX_256.test(value)) return 'malformed';
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  return timestamp === null || !signatures.length ? 'malformed' : signed(timestamp, signatures, rawBody);
}

/** Extracts signatures, timestamp and signed payload per preset; says why when the request lacks them. */
export function signedParts(
  s: HmacSettings,
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
): SignedParts | SignedPartsFailure {
  const preset = hmacPreset(s);
  if (preset === 'stripe') {
    const raw = header(headers, s.signatureHeader ?? 'stripe-signature');
    return raw === undefined ? 'missing' : stripeParts(raw, rawBody);
  }
  const github = preset === 'github';
  const raw = header(headers, s.signatureHeader ?? (github ? 'x-hub-signature-256' : 'x-signature'));
  if (raw === undefined) return 'missing';
  let sig: Buffer | null;
  if (github) {
    // GitHub sends exactly `sha256=` and lower-case hex.
    sig = raw.startsWith('sha256=') && LOWER_HEX_256.test(raw.slice(7)) ? Buffer.from(raw.slice(7), 'hex') : null;
  } else {
    const prefix = s.signaturePrefix ?? '';
    sig = raw.startsWith(prefix)
      ? decode(raw.slice(prefix.length), s.encoding ?? 'hex', DIGEST_BYTES[s.algorithm ?? 'sha256'])
      : null;
  }
  if (!sig) return 'malformed';
  // GitHub signs the body only; a timestamp applies when a timestamp header is configured (or always, generic).
  const tsHeader = s.timestampHeader ?? (github ? undefined : 'x-timestamp');
  if (!tsHeader) return signed(null, [sig], rawBody);
  const tsRaw = header(headers, tsHeader);
  if (tsRaw === undefined) return 'missing';
  const timestamp = parseTimestamp(tsRaw);
  return timestamp === null ? 'malformed' : signed(timestamp, [sig], rawBody);
}

/** Constant-time check of any candidate against HMAC(secret, payload). */
export function signatureMatches(s: HmacSettings, secret: string, parts: SignedParts): boolean {
  const algorithm = hmacPreset(s) === 'generic' ? (s.algorithm ?? 'sha256') : 'sha256';
  const expected = createHmac(algorithm, secret).update(parts.payload).digest();
  let ok = false;
  for (const candidate of parts.signatures) ok = safeEqual(candidate, expected) || ok;
  return ok;
}

/** Helper for senders and tests: the headers a valid request of this preset carries. */
export function signRequest(
  preset: HmacPreset,
  secret: string,
  rawBody: string | Buffer,
  timestamp = Math.floor(Date.now() / 1000),
  algorithm: 'sha256' | 'sha512' = 'sha256',
): Record<string, string> {
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
  if (preset === 'github')
    return { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
  const mac = createHmac(preset === 'stripe' ? 'sha256' : algorithm, secret)
    .update(Buffer.concat([Buffer.from(`${timestamp}.`), body]))
    .digest('hex');
  if (preset === 'stripe') return { 'stripe-signature': `t=${timestamp},v1=${mac}` };
  return { 'x-timestamp': String(timestamp), 'x-signature': mac };
}
