import { randomBytes } from 'node:crypto';
import { hashSecret, randomToken } from '../../core/crypto/tokens.js';

export type KeyKind = 'tfk' | 'tfp';

/** `tfk_<16 hex public id>_<43 base64url chars = 256-bit secret>`; the public id is safe to show and log. */
const KEY_RE = /^(tfk|tfp)_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

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

export function parseKey(raw: string): { kind: KeyKind; publicId: string; secretHash: Buffer } | null {
  const m = KEY_RE.exec(raw);
  if (!m) return null;
  return { kind: m[1] as KeyKind, publicId: m[2], secretHash: hashSecret(m[3]) };
}

export const displayPrefix = (kind: KeyKind, publicId: string): string => `${kind}_${publicId}`;
