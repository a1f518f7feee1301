import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../../core/config/app-config.js';
import { ConfigError } from '../../../core/config/app-config.js';
import { Metrics } from '../../../core/metrics/metrics.js';
import type { ProviderFactory, ProviderSpec } from '../provider-factory.js';
import { EnvProvider } from '../providers/env.provider.js';
import { SecretsProvider, type SecretValue } from '../providers/secrets-provider.base.js';
import { SecretResolverService } from '../secret-resolver.service.js';
import type { LoadedProvider, SecretProvidersStore } from '../secret-providers.store.js';
import { SecretUnavailableError } from '../secrets.exception.js';

const ORG_A = '00000000-0000-7000-8000-00000000000a';
const ORG_B = '00000000-0000-7000-8000-00000000000b';

class FakeProvider extends SecretsProvider {
  calls = 0;
  constructor(
    private readonly data: Record<string, SecretValue>,
    private readonly delayMs = 0,
  ) {
    super(1000);
  }
  protected async doConnect(): Promise<void> {}
  protected async doGetSecret(path: string): Promise<SecretValue> {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (!(path in this.data)) throw Object.assign(new Error('missing'), { name: 'NotFound' });
    return this.data[path];
  }
  protected async doTest(): Promise<void> {}
  protected reasonOf(e: unknown) {
    return (e as Error).name === 'NotFound' ? ('not_found' as const) : undefined;
  }
}

function setup(opts: { ttl?: string; timeout?: string; delayMs?: number } = {}) {
  const provider = new FakeProvider({ stripe: { api_key: 'sk_test_1', n: 1 }, plain: 'whole-value' }, opts.delayMs);
  const orgsWith = new Map<string, string>([[ORG_A, 'vault']]);
  let loads = 0;
  const store = {
    async load(orgId: string, name: string): Promise<LoadedProvider | null> {
      loads++;
      if (orgsWith.get(orgId) !== name) return null;
      return { spec: { type: 'vault', config: {}, allowlist: [] } as unknown as ProviderSpec, version: 'v1' };
    },
  } as unknown as SecretProvidersStore;
  const factory = { create: () => provider } as unknown as ProviderFactory;
  const config = AppConfig.fromEnv(
    {},
    { TENANTFLOW_SECRETS_CACHE_TTL: opts.ttl ?? '60000', TENANTFLOW_SECRETS_TIMEOUT: opts.timeout ?? '5000' },
  );
  const metrics = new Metrics();
  const resolver = new SecretResolverService(config, store, factory, metrics);
  return { resolver, provider, metrics, loads: () => loads };
}

const failure = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SecretUnavailableError);
  return e as SecretUnavailableError;
};

describe('SecretResolverService', () => {
  it('picks a key or the whole value, caches per org for the TTL, and counts hits and misses', async () => {
    const { resolver, provider, metrics } = setup();
    expect(await resolver.resolve(ORG_A, { provider: 'vault', path: 'stripe', key: 'api_key' })).toBe('sk_test_1');
    expect(await resolver.resolve(ORG_A, { provider: 'vault', path: 'stripe', key: 'n' })).toBe('1');
    expect(await resolver.resolve(ORG_A, { provider: 'vault', path: 'stripe' })).toBe('{"api_key":"sk_test_1","n":1}');
    expect(provider.calls).toBe(1);
    const text = await metrics.render();
    expect(text).toContain('tenantflow_secret_resolutions_total{provider="vault",outcome="success",cache="miss"} 1');
    expect(text).toContain('tenantflow_secret_resolutions_total{provider="vault",outcome="success",cache="hit"} 2');
    expect(text).not.toContain('sk_test_1');
  });

  it('with TTL 0 calls the provider every time, but concurrent misses share one call', async () => {
    const { resolver, provider } = setup({ ttl: '0', delayMs: 30 });
    const ref = { provider: 'vault', path: 'stripe', key: 'api_key' };
    await Promise.all([resolver.resolve(ORG_A, ref), resolver.resolve(ORG_A, ref), resolver.resolve(ORG_A, ref)]);
    expect(provider.calls).toBe(1);
    await resolver.resolve(ORG_A, ref);
    expect(provider.calls).toBe(2);
  });

  it('forget() drops the cached values of a changed provider', async () => {
    const { resolver, provider } = setup();
    await resolver.resolve(ORG_A, { provider: 'vault', path: 'plain' });
    resolver.forget(ORG_A, 'vault');
    await resolver.resolve(ORG_A, { provider: 'vault', path: 'plain' });
    expect(provider.calls).toBe(2);
  });

  it("never serves one org's cached value to another org: B has no such provider", async () => {
    const { resolver } = setup();
    await resolver.resolve(ORG_A, { provider: 'vault', path: 'stripe', key: 'api_key' });
    const e = await failure(resolver.resolve(ORG_B, { provider: 'vault', path: 'stripe', key: 'api_key' }));
    expect(e.message).toBe(
      'secret_unavailable: provider "vault" could not provide "stripe#api_key" (not_configured: no such provider in this organization)',
    );
  });

  it('fails with secret_unavailable naming provider and path, never a value', async () => {
    const { resolver } = setup();
    expect((await failure(resolver.resolve(ORG_A, { provider: 'vault', path: 'nope', key: 'k' }))).reason).toBe(
      'not_found',
    );
    const noKey = await failure(resolver.resolve(ORG_A, { provider: 'vault', path: 'stripe', key: 'missing' }));
    expect(noKey.reason).toBe('no_such_key');
    expect(noKey.message).not.toContain('sk_test_1');
    expect((await failure(resolver.resolve(ORG_A, { provider: 'vault', path: '../sys/health' }))).reason).toBe(
      'invalid_reference',
    );
    expect((await failure(resolver.resolve(ORG_A, { provider: 'vault', path: 'a/./b' }))).reason).toBe(
      'invalid_reference',
    );
  });

  it('bounds the whole resolution by the timeout', async () => {
    const { resolver } = setup({ timeout: '100', delayMs: 400 });
    const started = Date.now();
    expect((await failure(resolver.resolve(ORG_A, { provider: 'vault', path: 'plain' }))).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(350);
  });
});

describe('env provider and its operator prefix', () => {
  it('reads only variables under the prefix, named without it', async () => {
    const config = AppConfig.fromEnv({
      TENANTFLOW_SECRETS_ENV_PREFIX: 'TF_ORG_SECRET_',
      TF_ORG_SECRET_STRIPE: 'v1',
      DATABASE_URL: 'postgres://x',
      OTHER: 'y',
    });
    expect([...config.secretEnv.entries()]).toEqual([['STRIPE', 'v1']]);
    const p = new EnvProvider(true, config.secretEnv, 1000);
    expect(await p.getSecret('STRIPE')).toBe('v1');
    await expect(p.getSecret('DATABASE_URL')).rejects.toMatchObject({ reason: 'not_found' });
  });

  it('without a prefix, refuses every read', async () => {
    const config = AppConfig.fromEnv({ DATABASE_URL: 'postgres://x' });
    expect(config.secretEnv.size).toBe(0);
    await expect(new EnvProvider(false, config.secretEnv, 1000).getSecret('DATABASE_URL')).rejects.toMatchObject({
      reason: 'misconfigured',
    });
  });

  it("refuses a prefix that would reach the server's own settings", () => {
    for (const prefix of ['TENANTFLOW_', 'DATABASE_', 'D', 'REDIS_', 'lower_', 'NOUNDERSCORE']) {
      expect(() => AppConfig.fromEnv({ TENANTFLOW_SECRETS_ENV_PREFIX: prefix }), prefix).toThrow(ConfigError);
    }
  });
});

describe('provider factory: operator rules', () => {
  const spec = { type: 'aws' as const, config: { region: 'eu-west-1' }, allowlist: [] };
  it('refuses an aws provider without credentials unless the operator enables the default chain', async () => {
    const { ProviderFactory } = await import('../provider-factory.js');
    const { systemResolver } = await import('../../egress/index.js');
    const off = new ProviderFactory(AppConfig.fromEnv({}), systemResolver);
    expect(() => off.create(spec)).toThrow(expect.objectContaining({ reason: 'misconfigured' }));
    const on = new ProviderFactory(AppConfig.fromEnv({ TENANTFLOW_SECRETS_AWS_DEFAULT_CHAIN: 'true' }), systemResolver);
    const p = on.create(spec);
    expect(p.state).toBe('initializing');
    p.dispose();
  });
});
