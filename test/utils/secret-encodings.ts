import { expect } from 'vitest';

/** The ways a secret's plaintext could be written down: raw, base64, base64url, hex (both cases), URL-encoded. */
export function plaintextEncodings(secret: string): string[] {
  const raw = Buffer.from(secret, 'utf8');
  return [
    ...new Set([
      secret,
      raw.toString('base64'),
      raw.toString('base64').replace(/=+$/, ''),
      raw.toString('base64url'),
      raw.toString('hex'),
      raw.toString('hex').toUpperCase(),
      encodeURIComponent(secret),
    ]),
  ];
}

/**
 * Asserts that stored bytes hold no plaintext form of `secret`: none of its text encodings, as text or as the
 * bytes of any of them, and not the bytes a base64url secret decodes to (storing those is storing the secret).
 */
export function expectNoPlaintext(stored: Buffer | string, secret: string, what: string): void {
  const bytes = Buffer.isBuffer(stored) ? stored : Buffer.from(stored, 'utf8');
  const views = [
    bytes.toString('utf8'),
    bytes.toString('latin1'),
    bytes.toString('hex'),
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
  for (const encoded of plaintextEncodings(secret)) {
    for (const view of views)
      expect(view.includes(encoded), `${what}: holds the secret (${encoded.slice(0, 6)}…)`).toBe(false);
  }
  if (/^[A-Za-z0-9_-]+$/.test(secret)) {
    const decoded = Buffer.from(secret, 'base64url');
    expect(bytes.includes(decoded.subarray(0, 16)), `${what}: holds the secret's decoded bytes`).toBe(false);
  }
}

/** Asserts that `text` (a log, an audit table, a response) holds no plaintext encoding of any of `secrets`. */
export function expectNoSecretIn(text: string, secrets: Record<string, string>, where: string): void {
  for (const [kind, secret] of Object.entries(secrets)) {
    for (const encoded of plaintextEncodings(secret))
      expect(text.includes(encoded), `${kind} (as ${encoded.slice(0, 8)}…) in ${where}`).toBe(false);
  }
}
