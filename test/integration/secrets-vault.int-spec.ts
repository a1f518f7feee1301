import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy } from '../../src/modules/egress/index.js';
import type { VaultAuth, VaultConfig } from '../../src/modules/secrets/provider-config.js';
import { guardedAgents } from '../../src/modules/secrets/providers/guarded-agent.js';
import { VaultProvider } from '../../src/modules/secrets/providers/vault.provider.js';
import { ProviderFailure } from '../../src/modules/secrets/secrets.exception.js';
import { VaultDouble } from '../utils/doubles/vault-double.js';

/**
 * Must show 1 (Vault): the real, unmodified `node-vault` client against a loopback server speaking Vault's HTTP API:
 * KV v2 and v1 reads, namespaces, token and AppRole auth, token expiry and renewal, 403, 404, 503, timeouts, and the
 * org's egress policy enforced on the client's own sockets.
 */
describe('vault provider (node-vault against a Vault double)', () => {
  const vault = new VaultDouble();
  const made: VaultProvider[] = [];
  const provider = (
    config: Partial<VaultConfig>,
    auth: VaultAuth,
    opts: { allow?: string[]; timeoutMs?: number } = {},
  ) => {
    const agents = guardedAgents({ policy: new EgressPolicy(opts.allow ?? ['127.0.0.1']) });
    const p = new VaultProvider(
      { address: vault.url, mount: 'secret', kvVersion: 2, ...config },
      auth,
      agents,
      opts.timeoutMs ?? 2000,
    );
    made.push(p);
    return p;
  };
  const reason = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ProviderFailure);
    return (e as ProviderFailure).reason;
  };

  beforeAll(async () => {
    await vault.start();
    vault.mount('secret', 2);
    vault.mount('kv1', 1);
    vault.mount('secret', 2, 'team-a');
    vault.put('secret', 'stripe', { api_key: 'sk_live_vault_v2', other: 'x' });
    vault.put('secret', 'apps/billing', { password: 'p@ss word' });
    vault.put('kv1', 'legacy', { token: 'kv1-value' });
    vault.put('secret', 'stripe', { api_key: 'namespaced-value' }, 'team-a');
  });
  afterEach(() => {
    for (const p of made.splice(0)) p.dispose();
    vault.sealed = false;
    vault.delayMs = 0;
  });
  afterAll(() => vault.stop());

  it('reads KV v2 with a token, sending X-Vault-Token to /v1/<mount>/data/<path>', async () => {
    const t = vault.addToken();
    const p = provider({}, { method: 'token', token: t.id });
    expect(await p.getSecret('stripe')).toEqual({ api_key: 'sk_live_vault_v2', other: 'x' });
    expect(await p.getSecret('apps/billing')).toEqual({ password: 'p@ss word' });
    const reads = vault.requests.filter((r) => r.path === '/v1/secret/data/stripe');
    expect(reads.at(-1)).toMatchObject({ method: 'GET', token: t.id, namespace: undefined });
  });

  it('reads KV v1 at /v1/<mount>/<path>', async () => {
    const t = vault.addToken();
    const p = provider({ mount: 'kv1', kvVersion: 1 }, { method: 'token', token: t.id });
    expect(await p.getSecret('legacy')).toEqual({ token: 'kv1-value' });
    expect(vault.count('/v1/kv1/legacy')).toBeGreaterThan(0);
  });

  it('sends the namespace; a token of another namespace is refused', async () => {
    const inNs = vault.addToken({ namespace: 'team-a' });
    expect(await provider({ namespace: 'team-a' }, { method: 'token', token: inNs.id }).getSecret('stripe')).toEqual({
      api_key: 'namespaced-value',
    });
    expect(vault.requests.at(-1)).toMatchObject({ namespace: 'team-a' });
    const root = vault.addToken();
    expect(
      await reason(provider({ namespace: 'team-a' }, { method: 'token', token: root.id }).getSecret('stripe')),
    ).toBe('denied');
  });

  it('answers 404 as not_found, a policy refusal (403) as denied, a sealed Vault (503) as unavailable', async () => {
    const narrow = vault.addToken({ policies: ['secret/data/apps/'] });
    const p = provider({}, { method: 'token', token: narrow.id });
    expect(await p.getSecret('apps/billing')).toEqual({ password: 'p@ss word' });
    expect(await reason(p.getSecret('stripe'))).toBe('denied');
    expect(await reason(p.getSecret('apps/missing'))).toBe('not_found');
    vault.sealed = true;
    expect(await reason(p.getSecret('apps/billing'))).toBe('unavailable');
  });

  it('refuses a bad token at connect (denied) and recovers once the token is valid', async () => {
    const p = provider({}, { method: 'token', token: 'hvs.unknown' });
    expect(await reason(p.getSecret('stripe'))).toBe('denied');
    expect((await p.test()).reason).toBe('denied');
    vault.addToken({ id: 'hvs.unknown' });
    expect(await p.getSecret('stripe')).toMatchObject({ api_key: 'sk_live_vault_v2' });
  });

  it("logs in with AppRole and never sends the server's own VAULT_TOKEN", async () => {
    const saved = process.env.VAULT_TOKEN;
    process.env.VAULT_TOKEN = 'operator-token-must-not-leak';
    try {
      vault.addAppRole('role-1', 'secret-1');
      const before = vault.requests.length;
      const p = provider({}, { method: 'approle', roleId: 'role-1', secretId: 'secret-1', mount: 'approle' });
      expect(await p.getSecret('stripe')).toMatchObject({ api_key: 'sk_live_vault_v2' });
      const mine = vault.requests.slice(before);
      expect(mine[0]).toMatchObject({ method: 'POST', path: '/v1/auth/approle/login', token: undefined });
      expect(mine.some((r) => r.token === 'operator-token-must-not-leak')).toBe(false);
      expect(mine.at(-1)!.token).toMatch(/^hvs\./);
    } finally {
      if (saved === undefined) delete process.env.VAULT_TOKEN;
      else process.env.VAULT_TOKEN = saved;
    }
  });

  it('refuses a wrong AppRole secret id as denied', async () => {
    vault.addAppRole('role-2', 'right');
    const p = provider({}, { method: 'approle', roleId: 'role-2', secretId: 'wrong', mount: 'approle' });
    expect(await reason(p.getSecret('stripe'))).toBe('denied');
  });

  it('renews a short-lived token before it expires (renew-self), so reads keep working past the first TTL', async () => {
    vault.addAppRole('role-ttl', 's', { ttlSeconds: 2 });
    const p = provider({}, { method: 'approle', roleId: 'role-ttl', secretId: 's', mount: 'approle' });
    await p.getSecret('stripe');
    const logins = vault.count('/v1/auth/approle/login');
    await new Promise((r) => setTimeout(r, 2600));
    expect(vault.count('/v1/auth/token/renew-self')).toBeGreaterThanOrEqual(1);
    expect(await p.getSecret('stripe')).toMatchObject({ api_key: 'sk_live_vault_v2' });
    expect(vault.count('/v1/auth/approle/login')).toBe(logins); // renewed, not logged in again
  });

  it('logs in again when the AppRole token expired or was revoked', async () => {
    vault.addAppRole('role-re', 's');
    const p = provider({}, { method: 'approle', roleId: 'role-re', secretId: 's', mount: 'approle' });
    await p.getSecret('stripe');
    const token = vault.requests.at(-1)!.token!;
    vault.revoke(token);
    expect(await p.getSecret('stripe')).toMatchObject({ api_key: 'sk_live_vault_v2' });
    expect(vault.requests.at(-1)!.token).not.toBe(token);
  });

  it('fails a static token that expired (not renewable) as denied', async () => {
    const t = vault.addToken({ ttlSeconds: 1, renewable: false });
    const p = provider({}, { method: 'token', token: t.id });
    await p.getSecret('stripe');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await reason(p.getSecret('stripe'))).toBe('denied');
  });

  it('times out a slow Vault', async () => {
    const t = vault.addToken();
    const p = provider({}, { method: 'token', token: t.id }, { timeoutMs: 300 });
    await p.getSecret('stripe');
    vault.delayMs = 1000;
    const started = Date.now();
    expect(await reason(p.getSecret('stripe'))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("applies the org egress policy to the client's sockets: loopback refused unless allowlisted", async () => {
    const t = vault.addToken();
    const before = vault.requests.length;
    expect(await reason(provider({}, { method: 'token', token: t.id }, { allow: [] }).getSecret('stripe'))).toBe(
      'egress_refused',
    );
    const byName = provider(
      { address: vault.url.replace('127.0.0.1', 'localhost') },
      { method: 'token', token: t.id },
      { allow: ['10.0.0.0/8'] },
    );
    expect(await reason(byName.getSecret('stripe'))).toBe('egress_refused');
    expect(vault.requests.length).toBe(before); // nothing reached the server
    expect(
      await provider(
        { address: vault.url.replace('127.0.0.1', 'localhost') },
        { method: 'token', token: t.id },
        { allow: ['localhost'] },
      ).getSecret('stripe'),
    ).toMatchObject({ api_key: 'sk_live_vault_v2' });
  });

  it("speaks https to a Vault whose certificate only the provider's custom CA trusts", async () => {
    const tls = {
      cert: readFileSync(new URL('../utils/doubles/tls/vault-cert.pem', import.meta.url), 'utf8'),
      key: readFileSync(new URL('../utils/doubles/tls/vault-key.pem', import.meta.url), 'utf8'),
    };
    const secure = await new VaultDouble().start(tls);
    try {
      secure.mount('secret', 2);
      secure.put('secret', 'stripe', { api_key: 'over-tls' });
      const t = secure.addToken();
      const withCa = new VaultProvider(
        { address: secure.url, mount: 'secret', kvVersion: 2, caCert: tls.cert },
        { method: 'token', token: t.id },
        guardedAgents({ policy: new EgressPolicy(['127.0.0.1']), ca: tls.cert }),
        2000,
      );
      const without = new VaultProvider(
        { address: secure.url, mount: 'secret', kvVersion: 2 },
        { method: 'token', token: t.id },
        guardedAgents({ policy: new EgressPolicy(['127.0.0.1']) }),
        2000,
      );
      made.push(withCa, without);
      expect(secure.url).toMatch(/^https:/);
      expect(await withCa.getSecret('stripe')).toEqual({ api_key: 'over-tls' });
      expect(await reason(without.getSecret('stripe'))).toBe('misconfigured');
      expect(secure.requests.every((r) => r.token === t.id)).toBe(true);
    } finally {
      await secure.stop();
    }
  });

  it("checks the addresses of redirects node-vault's HTTP library follows", async () => {
    const hits: string[] = [];
    const inside = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('{}');
    });
    await new Promise<void>((r) => inside.listen(0, '127.0.0.2', r));
    const insidePort = (inside.address() as AddressInfo).port;
    const redirector = createServer((req, res) => {
      res.writeHead(307, { location: `http://127.0.0.2:${insidePort}${req.url}` });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    try {
      const address = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
      const p = provider({ address }, { method: 'token', token: 'hvs.x' }, { allow: ['127.0.0.1/32'] });
      expect(await reason(p.getSecret('stripe'))).toBe('egress_refused');
      expect(hits).toEqual([]);
      // The control: with 127.0.0.2 allowlisted the client does follow the redirect there.
      const open = provider({ address }, { method: 'token', token: 'hvs.x' }, { allow: ['127.0.0.0/8'] });
      await open.getSecret('stripe').catch(() => undefined);
      expect(hits.length).toBeGreaterThan(0);
    } finally {
      redirector.closeAllConnections();
      inside.closeAllConnections();
      await Promise.all([new Promise((r) => redirector.close(r)), new Promise((r) => inside.close(r))]);
    }
  });

  it('reports an unreachable Vault', async () => {
    const t = vault.addToken();
    const p = provider({ address: 'http://127.0.0.1:9' }, { method: 'token', token: t.id });
    expect(await reason(p.getSecret('stripe'))).toBe('unreachable');
  });
});
