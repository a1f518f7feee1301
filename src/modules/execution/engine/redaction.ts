const MASK = '[redacted]';
/** Secrets shorter than this are not masked by value: masking "1" would mangle every number in a record. */
const MIN_SECRET_LENGTH = 4;

/**
 * Masks secret values wherever they appear in what a run records or answers (outputs, errors, responses),
 * whatever key they sit under. Values are registered as the run resolves them.
 */
export class Redactor {
  private readonly values = new Set<string>();

  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH) return;
    // The secret as is, base64 (standard and URL-safe, unpadded too) and URL-encoded: the forms a called server
    // or a flow most often echoes it in.
    const b64 = Buffer.from(secret, 'utf8').toString('base64');
    for (const form of [
      secret,
      b64,
      b64.replace(/=+$/, ''),
      Buffer.from(secret, 'utf8').toString('base64url'),
      encodeURIComponent(secret),
    ]) {
      this.values.add(form);
      // The same text as it appears inside JSON (quotes, backslashes, control characters escaped).
      const escaped = JSON.stringify(form).slice(1, -1);
      if (escaped !== form) this.values.add(escaped);
    }
  }

  get empty(): boolean {
    return this.values.size === 0;
  }

  text(s: string): string {
    if (this.values.size === 0) return s;
    let out = s;
    // Longest first, so a secret containing another is masked whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join(MASK);
    return out;
  }

  /** A redacted deep copy of a JSON value. */
  value<T>(v: T): T {
    if (this.values.size === 0 || v === undefined) return v;
    return JSON.parse(this.text(JSON.stringify(v))) as T;
  }
}

export interface TruncatedValue {
  truncated: true;
  bytes: number;
  preview: string;
}

/**
 * The form a value is stored in: redacted, and replaced by a truncated JSON preview when its JSON text is
 * larger than `maxBytes`. Returns the JSON text too, so callers need not serialise twice.
 */
export function storedValue(v: unknown, redactor: Redactor, maxBytes: number): unknown {
  if (v === undefined) return undefined;
  let text: string;
  try {
    text = JSON.stringify(v);
  } catch {
    return { truncated: true, bytes: 0, preview: '(not serialisable)' } satisfies TruncatedValue;
  }
  if (text === undefined) return undefined;
  const clean = redactor.text(text);
  const bytes = Buffer.byteLength(clean);
  if (bytes <= maxBytes) return clean === text ? v : JSON.parse(clean);
  const previewChars = Math.max(0, Math.min(maxBytes - 64, 64 * 1024));
  return { truncated: true, bytes, preview: clean.slice(0, previewChars) } satisfies TruncatedValue;
}
