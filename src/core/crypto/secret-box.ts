import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { LOGGER } from '../logging/logger.js';
import {
  SecretBoxError,
  assertEncryptionKeyConfigured,
  keyRingFromConfig,
  localMasterKeys,
  type MasterKeys,
} from './master-keys.js';

export { SecretBoxError, keyRingFromConfig } from './master-keys.js';

const VERSION = 'v1';

/** Strict base64url: a non-canonical encoding (e.g. altered padding bits) is refused, so every flipped character fails. */
export function b64u(text: string): Buffer {
  const buf = Buffer.from(text, 'base64url');
  if (buf.toString('base64url') !== text) throw new SecretBoxError('sealed value does not authenticate');
  return buf;
}

/** AES-256-GCM with a fresh 12-byte IV: `[iv, tag, ciphertext]`. */
export function gcmSeal(key: Buffer, aad: string, plaintext: string | Buffer): [Buffer, Buffer, Buffer] {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), ct];
}

/** Throws SecretBoxError on any tampering or a wrong AAD (GCM tag). */
export function gcmOpen(key: Buffer, aad: string, iv: Buffer, tag: Buffer, ct: Buffer): Buffer {
  if (iv.length !== 12 || tag.length !== 16) throw new SecretBoxError('sealed value does not authenticate');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw new SecretBoxError('sealed value does not authenticate');
  }
}

/**
 * The master-key layer of the key ring: `v1:<masterKeyId>:<iv>:<tag>:<ciphertext>` (base64url), the `context`
 * bound as additional authenticated data. It wraps the per-org data keys (see KeyRing) and still opens SSO client
 * secrets sealed before the key ring existed. Keys come from `TENANTFLOW_ENCRYPTION_KEY(S)`; without them (never
 * in production) a key is generated once in the data directory, with one warning.
 */
@Injectable()
export class SecretBox {
  private ring?: MasterKeys;

  constructor(
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  keys(): MasterKeys {
    if (this.ring) return this.ring;
    const fromConfig = keyRingFromConfig(
      this.config.optional('TENANTFLOW_ENCRYPTION_KEYS'),
      this.config.optional('TENANTFLOW_ENCRYPTION_KEY'),
    );
    if (fromConfig) return (this.ring = fromConfig);
    assertEncryptionKeyConfigured(this.config);
    this.log.warn(
      'no TENANTFLOW_ENCRYPTION_KEY set: credentials are encrypted with a key generated in the data directory (set one key for every instance when scaling out)',
    );
    return (this.ring = localMasterKeys(this.config.get('TENANTFLOW_DATA_DIR')));
  }

  /** The id of the master key that encrypts new values. */
  get currentKeyId(): string {
    return this.keys().current.id;
  }

  seal(plaintext: string, context: string): string {
    const { id, key } = this.keys().current;
    const [iv, tag, ct] = gcmSeal(key, context, plaintext);
    return [VERSION, id, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join(':');
  }

  /** Throws on an unknown key id, a wrong context or any tampering (GCM tag). */
  open(envelope: string, context: string): string {
    const parts = envelope.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed value');
    const [, id, iv, tag, ct] = parts;
    const key = this.keys().byId.get(id);
    if (!key) throw new SecretBoxError(`no key "${id}" in the key ring`);
    return gcmOpen(key, context, b64u(iv), b64u(tag), b64u(ct)).toString('utf8');
  }
}
