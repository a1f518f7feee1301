import { describe, expect, it } from 'vitest';
import { isSecretName, redactMetadata, REDACTED, scrubString } from '../audit-redaction.js';

describe('audit redaction', () => {
  it('masks secret-named fields at any depth, keeping references and null', () => {
    const out = redactMetadata({
      name: 'stripe',
      clientSecret: 's3cr3t',
      password: 'p',
      apiKey: 'k',
      data: { a: 1 },
      auth: { token: 't' },
      nested: [{ privateKey: 'pem', keyId: 'kid-1', tokenEndpoint: 'https://idp/token', secretName: 'vault/x' }],
      token: null,
    });
    expect(out).toEqual({
      name: 'stripe',
      clientSecret: REDACTED,
      password: REDACTED,
      apiKey: REDACTED,
      data: REDACTED,
      auth: REDACTED,
      nested: [{ privateKey: REDACTED, keyId: 'kid-1', tokenEndpoint: 'https://idp/token', secretName: 'vault/x' }],
      token: null,
    });
  });

  it('names', () => {
    for (const n of [
      'client_secret',
      'SECRET',
      'accessToken',
      'refresh-token',
      'api_key',
      'x-api-key',
      'passphrase',
      'Authorization',
      'cookie',
      'secretAccessKey',
      'value',
    ]) {
      expect(isSecretName(n), n).toBe(true);
    }
    for (const n of [
      'name',
      'role',
      'prefix',
      'keyId',
      'apiKeyId',
      'tokenUrl',
      'kid',
      'alg',
      'metadata',
      'scopes',
      'secretName',
    ]) {
      expect(isSecretName(n), n).toBe(false);
    }
  });

  it('scrubs secret-shaped substrings and named plaintext values anywhere', () => {
    const key = 'tfk_0123456789abcdef_' + 'A'.repeat(43);
    expect(scrubString(`used ${key} here`)).toBe(`used tfk_0123456789abcdef_${REDACTED} here`);
    expect(scrubString('tfk_0123456789abcdef')).toBe('tfk_0123456789abcdef'); // a display prefix is not a secret
    expect(scrubString('Authorization: Bearer abc.def-ghi_123')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrubString('postgres://user:hunter22@db/x')).toBe(`postgres://user:${REDACTED}@db/x`);
    expect(scrubString('jwt eyJhbGciOi.eyJzdWIiOi.sig')).toBe(`jwt ${REDACTED}`);
    expect(scrubString('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----')).toBe(REDACTED);
    expect(scrubString('resolved sk_live_123456 ok', ['sk_live_123456'])).toBe(`resolved ${REDACTED} ok`);
  });

  it('stores only what PostgreSQL text and jsonb accept, within limits', () => {
    expect(scrubString('a\u0000b\ud800c')).toBe('a\uFFFDb\uFFFDc');
    expect(scrubString('x'.repeat(3000)).length).toBe(2001);
    expect(
      redactMetadata({
        f: () => 1,
        n: Infinity,
        b: Buffer.from('k'),
        deep: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } },
      }),
    ).toEqual({ f: null, n: null, b: REDACTED, deep: { a: { b: { c: { d: { e: { f: { g: '[TRUNCATED]' } } } } } } } });
    expect(redactMetadata({ big: Array.from({ length: 50 }, () => 'y'.repeat(1000)) })).toMatchObject({
      truncated: true,
      keys: ['big'],
    });
  });
});
