import { createHash, randomBytes } from 'node:crypto';
import { hashSecret, randomToken } from '../../core/crypto/tokens.js';

/** `tfk` org API key, `tfp` platform key, `tfs` browser session (cookie value), `tfe` embedded session (bearer). */
export type KeyKind = 'tfk' | 'tfp' | 'tfs' | 'tfe';

/** `<kind>_<16 hex public id>_<43 base64url chars = 256-bit secret>`; the public id is safe to show and log. */
const KEY_RE = /^(tfk|tfp|tfs|tfe)_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintedKey {
  publicId: string;
  secretHash: Buffer;
  /** The full credential; shown once, never stored. */
  key: string;
}

export function mintKey(kind: KeyKind): MintedKey {
  const publicId = randomBytes(8).toString('hex');
  const secret = randomToken(32);
  return { publicId, secretHash: hashSecret(secret), key: `${kind}_${publicId}_${secret}` };
}

/** A new secret for an existing public id (rotation keeps the key's identity). */
export function remintSecret(kind: KeyKind, publicId: string): MintedKey {
  const secret = randomToken(32);
  return { publicId, secretHash: hashSecret(secret), key: `${kind}_${publicId}_${secret}` };
}

export function parseKey(raw: string): { kind: KeyKind; publicId: string; secretHash: Buffer } | null {
  const m = KEY_RE.exec(raw);
  if (!m) return null;
  return { kind: m[1] as KeyKind, publicId: m[2], secretHash: hashSecret(m[3]) };
}

/**
 * The CSRF token of a session, derived from its (secret) cookie value: the server stores neither, a page can read
 * it only from `GET /api/v1/auth/me`, and it reveals nothing about the cookie (one-way, domain-separated).
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`tenantflow-csrf:${sessionToken}`, 'utf8').digest('base64url');
}

export const displayPrefix = (kind: KeyKind, publicId: string): string => `${kind}_${publicId}`;
