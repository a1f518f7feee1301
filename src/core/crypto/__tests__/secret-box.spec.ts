import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AppConfig } from '../../config/app-config.js';
import { SecretBox, keyRingFromConfig } from '../secret-box.js';
import { assertEncryptionKeyConfigured, newMasterKey } from '../master-keys.js';

const key = (n: number): string => Buffer.alloc(32, n).toString('base64');
const box = (overrides: Record<string, string>): SecretBox =>
  new SecretBox(AppConfig.fromEnv({}, overrides), pino({ level: 'silent' }));

describe('SecretBox', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('round-trips, binds the context, and detects tampering', () => {
    const b = box({ TENANTFLOW_ENCRYPTION_KEY: key(1) });
    const sealed = b.seal('client-secret', 'sso:oidc:org-a');
    expect(sealed).toMatch(/^v1:default:[\w-]+:[\w-]+:[\w-]+$/);
    expect(sealed).not.toContain('client-secret');
    expect(b.open(sealed, 'sso:oidc:org-a')).toBe('client-secret');
    expect(() => b.open(sealed, 'sso:oidc:org-b')).toThrow(/authenticate/);
    const parts = sealed.split(':');
    // Another first character of the ciphertext, always (a fixed replacement equals the original 1 time in 4,096).
    parts[4] = (parts[4][0] === 'A' ? 'B' : 'A') + parts[4].slice(1);
    expect(() => b.open(parts.join(':'), 'sso:oidc:org-a')).toThrow();
    expect(b.seal('same', 'c')).not.toBe(b.seal('same', 'c'));
  });

  it('encrypts with the first key of a ring and still opens values sealed with older keys', () => {
    const old = box({ TENANTFLOW_ENCRYPTION_KEYS: `k1:${key(1)}` }).seal('v', 'c');
    const ring = box({ TENANTFLOW_ENCRYPTION_KEYS: `k2:${key(2)},k1:${key(1)}` });
    expect(ring.open(old, 'c')).toBe('v');
    expect(ring.seal('v', 'c')).toMatch(/^v1:k2:/);
    expect(() => box({ TENANTFLOW_ENCRYPTION_KEYS: `k2:${key(2)}` }).open(old, 'c')).toThrow(/no key "k1"/);
  });

  it('refuses malformed key settings', () => {
    expect(() => keyRingFromConfig(undefined, 'c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => keyRingFromConfig('nokeyid', undefined)).toThrow(/id:base64/);
    expect(keyRingFromConfig(undefined, undefined)).toBeNull();
  });

  it('without a configured key, generates one per data directory (0600) and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sso-box-'));
    dirs.push(dir);
    const sealed = box({ TENANTFLOW_DATA_DIR: dir }).seal('v', 'c');
    expect(sealed).toMatch(/^v1:local:/);
    const file = join(dir, 'encryption.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8'), 'base64')).toHaveLength(32);
    expect(box({ TENANTFLOW_DATA_DIR: dir }).open(sealed, 'c')).toBe('v');
  });
});

describe('master keys', () => {
  it('keeps reading the key file the SSO secret box generated before the key ring', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sso-box-legacy-'));
    try {
      writeFileSync(join(dir, 'sso-secret-box.key'), key(7), { mode: 0o600 });
      const old = new SecretBox(AppConfig.fromEnv({}, { TENANTFLOW_ENCRYPTION_KEY: key(7) }), pino({ level: 'silent' }))
        .seal('v', 'c')
        .replace(':default:', ':local:');
      expect(box({ TENANTFLOW_DATA_DIR: dir }).open(old, 'c')).toBe('v');
      expect(existsSync(join(dir, 'encryption.key'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('production refuses to start without a key; a new key is 32 random bytes', () => {
    expect(() => assertEncryptionKeyConfigured(AppConfig.fromEnv({}, { NODE_ENV: 'production' }))).toThrow(
      /required in production/,
    );
    expect(() =>
      assertEncryptionKeyConfigured(
        AppConfig.fromEnv({}, { NODE_ENV: 'production', TENANTFLOW_ENCRYPTION_KEY: key(1) }),
      ),
    ).not.toThrow();
    expect(() => box({ NODE_ENV: 'production' }).seal('v', 'c')).toThrow(/required in production/);
    expect(Buffer.from(newMasterKey(), 'base64')).toHaveLength(32);
    expect(newMasterKey()).not.toBe(newMasterKey());
  });

  it('refuses a non-canonical encoding (any changed character fails)', () => {
    const b = box({ TENANTFLOW_ENCRYPTION_KEY: key(1) });
    const sealed = b.seal('value', 'ctx');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 'v1:default:'.length; i < sealed.length; i++) {
      if (sealed[i] === ':') continue;
      const other = alphabet[(alphabet.indexOf(sealed[i]) + 1) % alphabet.length];
      expect(() => b.open(sealed.slice(0, i) + other + sealed.slice(i + 1), 'ctx')).toThrow();
    }
  });
});
