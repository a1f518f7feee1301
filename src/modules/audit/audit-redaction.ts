/** Marker that replaces a secret value. */
export const REDACTED = '[REDACTED]';

const MAX_DEPTH = 8;
const MAX_ARRAY = 100;
const MAX_KEYS = 100;
const MAX_STRING = 2000;
const MAX_METADATA_BYTES = 16_384;

// Field names whose values are secrets whatever they hold (normalized: lower case, letters and digits only).
const SECRET_NAME =
  /secret|password|passwd|passphrase|token|apikey|privatekey|credential|authorization|cookie|signature|^key$|^auth$|^data$|^value$|^plaintext$|^pin$|^otp$/;
// ...unless the name says it is a reference or a non-secret attribute of one (tokenUrl, apiKeyId, secretName).
const NOT_SECRET_NAME = /(id|ids|url|uri|endpoint|prefix|name|ttl|expiresat|type|alg|kid|count|changed|ref|path)$/;

// Secret-shaped substrings, whatever field they are in.
const VALUE_PATTERNS: [RegExp, string | ((m: string, ...g: string[]) => string)][] = [
  [/\b(tf[kp]_[0-9a-f]{16}_)[A-Za-z0-9_-]{20,}/g, (_m, p: string) => `${p}${REDACTED}`],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, s: string) => `${s} ${REDACTED}`],
  [/(\/\/[^/\s:@]*:)[^/\s@]+@/g, (_m, p: string) => `${p}${REDACTED}@`],
];

export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_NAME.test(n) && !NOT_SECRET_NAME.test(n);
}

/**
 * Makes a string safe to store: removes known plaintext values and secret-shaped substrings, drops characters
 * PostgreSQL text cannot hold (NUL, lone surrogates) and caps the length.
 */
export function scrubString(input: string, sensitive: readonly string[] = [], max = MAX_STRING): string {
  let s = input.toWellFormed().replaceAll('\u0000', '\uFFFD');
  for (const v of sensitive) if (v.length >= 4) s = s.replaceAll(v, REDACTED);
  for (const [re, rep] of VALUE_PATTERNS) s = s.replace(re, rep as string);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function scrubOptional(
  input: string | null | undefined,
  sensitive: readonly string[] = [],
  max = MAX_STRING,
): string | null {
  return input === null || input === undefined ? null : scrubString(String(input), sensitive, max);
}

/**
 * Redacts event metadata into a plain JSON object: secret-named fields masked (a `null` stays `null`: "no secret"
 * is not a secret), strings scrubbed, depth, breadth and size capped. Publishers already mask; this is the net.
 */
export function redactMetadata(
  input: Record<string, unknown> | undefined,
  sensitive: readonly string[] = [],
): Record<string, unknown> {
  if (!input) return {};
  const out = redactValue(input, sensitive, 0) as Record<string, unknown>;
  if (JSON.stringify(out).length > MAX_METADATA_BYTES)
    return { truncated: true, keys: Object.keys(out).slice(0, MAX_KEYS) };
  return out;
}

function redactValue(value: unknown, sensitive: readonly string[], depth: number): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return scrubString(value, sensitive);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return REDACTED; // raw bytes: hashes, keys
  if (typeof value !== 'object') return null; // functions, symbols
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.slice(0, MAX_ARRAY).map((v) => redactValue(v, sensitive, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, MAX_KEYS)) {
    if (v === undefined) continue;
    const key = scrubString(k, sensitive, 100);
    out[key] = isSecretName(k) && v !== null ? REDACTED : redactValue(v, sensitive, depth + 1);
  }
  return out;
}
