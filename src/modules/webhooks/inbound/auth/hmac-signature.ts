import { createHmac } from 'node:crypto';
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
  /** The raw signature text, for the replay cache. */
  replayKey: string;
}

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

function decode(text: string, encoding: 'hex' | 'base64'): Buffer | null {
  const t = text.trim();
  if (encoding === 'hex' ? !/^[0-9a-fA-F]{2,256}$/.test(t) : !/^[A-Za-z0-9+/_-]{2,344}={0,2}$/.test(t)) return null;
  return Buffer.from(t, encoding);
}

const parseTimestamp = (raw: string | undefined): number | null => (raw && /^\d{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : null);

/** Extracts signatures, timestamp and signed payload per preset; null when the request lacks them. */
export function signedParts(s: HmacSettings, headers: Record<string, string | string[] | undefined>, rawBody: Buffer): SignedParts | null {
  const preset = hmacPreset(s);
  if (preset === 'stripe') {
    const raw = header(headers, s.signatureHeader ?? 'stripe-signature');
    if (!raw) return null;
    const fields = raw.split(',').map((p) => p.trim().split('=', 2) as [string, string?]);
    const timestamp = parseTimestamp(fields.find(([k]) => k === 't')?.[1]);
    const signatures = fields.filter(([k, v]) => k === 'v1' && v).map(([, v]) => decode(v!, 'hex')).filter((b): b is Buffer => b !== null);
    if (timestamp === null || !signatures.length) return null;
    return { signatures, timestamp, payload: Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]), replayKey: raw };
  }
  const github = preset === 'github';
  const raw = header(headers, s.signatureHeader ?? (github ? 'x-hub-signature-256' : 'x-signature'));
  if (!raw) return null;
  const prefix = s.signaturePrefix ?? (github ? 'sha256=' : '');
  if (!raw.startsWith(prefix)) return null;
  const sig = decode(raw.slice(prefix.length), s.encoding ?? 'hex');
  if (!sig) return null;
  // GitHub signs the body only; a timestamp applies when a timestamp header is configured (or always, generic).
  const tsHeader = s.timestampHeader ?? (github ? undefined : 'x-timestamp');
  if (!tsHeader) return { signatures: [sig], timestamp: null, payload: rawBody, replayKey: raw };
  const timestamp = parseTimestamp(header(headers, tsHeader));
  if (timestamp === null) return null;
  return { signatures: [sig], timestamp, payload: Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]), replayKey: raw };
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
export function signRequest(preset: HmacPreset, secret: string, rawBody: string | Buffer, timestamp = Math.floor(Date.now() / 1000), algorithm: 'sha256' | 'sha512' = 'sha256'): Record<string, string> {
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
  if (preset === 'github') return { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
  const mac = createHmac(preset === 'stripe' ? 'sha256' : algorithm, secret).update(Buffer.concat([Buffer.from(`${timestamp}.`), body])).digest('hex');
  if (preset === 'stripe') return { 'stripe-signature': `t=${timestamp},v1=${mac}` };
  return { 'x-timestamp': String(timestamp), 'x-signature': mac };
}
