import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { LOGGER } from '../logging/logger.js';

const VERSION = 'v1';
const KEY_FILE = 'sso-secret-box.key';
const LOCAL_KEY_ID = 'local';

interface KeyRing {
  /** Encrypts new values. */
  current: { id: string; key: Buffer };
  byId: Map<string, Buffer>;
}

export class SecretBoxError extends Error {}

function decodeKey(id: string, b64: string): Buffer {
  const key = Buffer.from(b64.trim(), 'base64');
  if (key.length !== 32) throw new SecretBoxError(`encryption key "${id}" must be 32 bytes, base64-encoded`);
  return key;
}

/**
 * Parses `TENANTFLOW_ENCRYPTION_KEYS` ("id:base64,id:base64"; the first encrypts, all decrypt) or
 * `TENANTFLOW_ENCRYPTION_KEY` (one base64 key, id "default"). Returns null when neither is set.
 */
export function keyRingFromConfig(keys?: string, key?: string): KeyRing | null {
  if (keys) {
    const entries = keys.split(',').map((entry) => {
      const at = entry.indexOf(':');
      if (at <= 0) throw new SecretBoxError('TENANTFLOW_ENCRYPTION_KEYS must look like "id:base64,id:base64"');
      const id = entry.slice(0, at).trim();
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new SecretBoxError('encryption key ids are 1-32 letters, digits, "-" or "_"');
      return { id, key: decodeKey(id, entry.slice(at + 1)) };
    });
    return { current: entries[0], byId: new Map(entries.map((e) => [e.id, e.key])) };
  }
  if (key) {
    const k = decodeKey('default', key);
    return { current: { id: 'default', key: k }, byId: new Map([['default', k]]) };
  }
  return null;
}

/** Reads the data directory's generated key, creating it (0600, exclusive create) on first use. */
function localKeyRing(dataDir: string): KeyRing {
  const dir = resolve(dataDir);
  const file = join(dir, KEY_FILE);
  let b64: string;
  try {
    b64 = readFileSync(file, 'utf8');
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process won the race: use its key
    }
    b64 = readFileSync(file, 'utf8');
  }
  const key = decodeKey(LOCAL_KEY_ID, b64);
  return { current: { id: LOCAL_KEY_ID, key }, byId: new Map([[LOCAL_KEY_ID, key]]) };
}

/**
 * Minimal AES-256-GCM envelope for SSO client secrets at rest: `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url).
 * The `context` (e.g. `sso:oidc:<orgId>`) is bound as additional authenticated data, so a ciphertext copied into
 * another org's row does not decrypt. Keys come from `TENANTFLOW_ENCRYPTION_KEY(S)`; without them a key is generated
 * once in the data directory (single-machine installs). To be replaced by the shared credential cipher when it lands.
 */
@Injectable()
export class SecretBox {
  private ring?: KeyRing;

  constructor(
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  private keys(): KeyRing {
    if (this.ring) return this.ring;
    const fromConfig = keyRingFromConfig(this.config.optional('TENANTFLOW_ENCRYPTION_KEYS'), this.config.optional('TENANTFLOW_ENCRYPTION_KEY'));
    if (fromConfig) return (this.ring = fromConfig);
    this.log.warn('no TENANTFLOW_ENCRYPTION_KEY set: SSO secrets use a key generated in the data directory (set one key for every instance when scaling out)');
    return (this.ring = localKeyRing(this.config.get('TENANTFLOW_DATA_DIR')));
  }

  seal(plaintext: string, context: string): string {
    const { id, key } = this.keys().current;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
  }

  /** Throws on an unknown key id, a wrong context or any tampering (GCM tag). */
  open(envelope: string, context: string): string {
    const parts = envelope.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed value');
    const [, id, iv, tag, ct] = parts;
    const key = this.keys().byId.get(id);
    if (!key) throw new SecretBoxError(`no key "${id}" in the key ring`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('sealed value does not authenticate');
    }
  }
}
