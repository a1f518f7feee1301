import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/app-config.js';

/** The generated development key (mode 0600) under the data directory. */
export const KEY_FILE = 'encryption.key';
/** Where releases before the shared key ring kept the generated key (SSO only); still read so old values open. */
export const LEGACY_KEY_FILE = 'sso-secret-box.key';
export const LOCAL_KEY_ID = 'local';

/** Master keys: the first encrypts (wraps org data keys), all decrypt. */
export interface MasterKeys {
  current: { id: string; key: Buffer };
  byId: Map<string, Buffer>;
}

export class SecretBoxError extends Error {}

function decodeKey(id: string, b64: string): Buffer {
  const key = Buffer.from(b64.trim(), 'base64');
  if (key.length !== 32) throw new SecretBoxError(`encryption key "${id}" must be 32 bytes, base64-encoded`);
  return key;
}

/** A new random master key, base64 (what `npm run cli -- secret` prints). */
export function newMasterKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Parses `TENANTFLOW_ENCRYPTION_KEYS` ("id:base64,id:base64"; the first encrypts, all decrypt) or
 * `TENANTFLOW_ENCRYPTION_KEY` (one base64 key, id "default"). Returns null when neither is set.
 */
export function keyRingFromConfig(keys?: string, key?: string): MasterKeys | null {
  if (keys) {
    const entries = keys.split(',').map((entry) => {
      const at = entry.indexOf(':');
      if (at <= 0) throw new SecretBoxError('TENANTFLOW_ENCRYPTION_KEYS must look like "id:base64,id:base64"');
      const id = entry.slice(0, at).trim();
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id))
        throw new SecretBoxError('encryption key ids are 1-32 letters, digits, "-" or "_"');
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

/** Reads the data directory's generated key (or the legacy SSO one), creating it (0600, exclusive create) on first use. */
export function localMasterKeys(dataDir: string): MasterKeys {
  const dir = resolve(dataDir);
  const legacy = join(dir, LEGACY_KEY_FILE);
  const file = existsSync(legacy) && !existsSync(join(dir, KEY_FILE)) ? legacy : join(dir, KEY_FILE);
  let b64: string;
  try {
    b64 = readFileSync(file, 'utf8');
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, newMasterKey(), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process won the race: use its key
    }
    b64 = readFileSync(file, 'utf8');
  }
  const key = decodeKey(LOCAL_KEY_ID, b64);
  return { current: { id: LOCAL_KEY_ID, key }, byId: new Map([[LOCAL_KEY_ID, key]]) };
}

/** Production refuses to start without a configured key: a generated one would differ per machine and be lost with it. */
export function assertEncryptionKeyConfigured(config: AppConfig): void {
  if (!config.isProduction) return;
  if (config.optional('TENANTFLOW_ENCRYPTION_KEYS') || config.optional('TENANTFLOW_ENCRYPTION_KEY')) return;
  throw new ConfigError(
    'TENANTFLOW_ENCRYPTION_KEY (or TENANTFLOW_ENCRYPTION_KEYS) is required in production; create one with `npm run cli -- secret`',
  );
}
