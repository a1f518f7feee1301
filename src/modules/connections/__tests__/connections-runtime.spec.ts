import { describe, expect, it } from 'vitest';
import type { KeyRing } from '../../../core/crypto/key-ring.js';
import type { Database } from '../../../core/database/database.js';
import { ConnectionEntity } from '../connection.entity.js';
import { ConnectionsRuntime } from '../connections-runtime.js';
import type { OAuth2Tokens } from '../oauth2/oauth2-tokens.js';
import { resolveReferences, type SecretReference } from '../secret-refs.js';

/** Secret references in connection fields resolve through the caller's resolver, and every value is handed back for redaction. */
const row = (type: ConnectionEntity['type'], settings: Record<string, unknown>): ConnectionEntity =>
  Object.assign(new ConnectionEntity(), { id: 'c', orgId: 'o', type, settings, secretData: 'sealed' });
const runtime = (secrets: Record<string, string>) =>
  new ConnectionsRuntime(
    {} as Database,
    { open: async () => JSON.stringify(secrets) } as unknown as KeyRing,
    {} as OAuth2Tokens,
  );
const vault: Record<string, string> = { 'vault/stripe#api_key': 'sk_live_abc 123/+', 'vault/basic#user': 'svc' };
const resolve = async (ref: SecretReference) =>
  vault[`${ref.provider}/${ref.path}#${ref.key}`] ?? Promise.reject(new Error(`no ${ref.path}`));
const noHttp = async () => Promise.reject(new Error('no http'));

describe('ConnectionsRuntime.apply', () => {
  it('resolves references in secret and plain fields, keeping text around them, and returns every form for redaction', async () => {
    const bearer = await runtime({ token: '{{ secrets.vault.stripe#api_key }}' }).apply(
      row('bearer', {}),
      resolve,
      noHttp,
    );
    expect(bearer.headers).toEqual({ authorization: 'Bearer sk_live_abc 123/+' });
    expect(bearer.secrets).toEqual(
      expect.arrayContaining(['sk_live_abc 123/+', encodeURIComponent('sk_live_abc 123/+')]),
    );

    const basic = await runtime({ password: 'pre-{{ secrets.vault.stripe#api_key }}' }).apply(
      row('basic', { username: '{{ secrets.vault.basic#user }}' }),
      resolve,
      noHttp,
    );
    const encoded = Buffer.from('svc:pre-sk_live_abc 123/+').toString('base64');
    expect(basic.headers.authorization).toBe(`Basic ${encoded}`);
    expect(basic.secrets).toEqual(expect.arrayContaining(['pre-sk_live_abc 123/+', encoded]));

    const query = await runtime({ value: '{{secrets.vault.stripe#api_key}}' }).apply(
      row('api_key', { in: 'query', name: 'key' }),
      resolve,
      noHttp,
    );
    expect(query).toMatchObject({ headers: {}, query: { key: 'sk_live_abc 123/+' } });
  });

  it('fails without a value when a reference cannot be resolved, and leaves non-secret templates alone', async () => {
    await expect(
      runtime({ token: '{{ secrets.vault.missing#x }}' }).apply(row('bearer', {}), resolve, noHttp),
    ).rejects.toThrow('no missing');
    expect(await resolveReferences('{{ trigger.body.x }} and {{ secrets.vault.stripe#api_key }}', resolve)).toBe(
      '{{ trigger.body.x }} and sk_live_abc 123/+',
    );
  });
});
