import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { Metrics, type Counter } from '../../core/metrics/metrics.js';
import { ProviderFactory, type ProviderSpec } from './provider-factory.js';
import type { ProviderType } from './provider-config.js';
import type { SecretsProvider, SecretValue } from './providers/secrets-provider.base.js';
import { assertReferenceShape, pickValue, type SecretRefInput } from './secret-reference.js';
import { SecretProvidersStore } from './secret-providers.store.js';
import { ProviderFailure, SecretUnavailableError, type SecretFailureReason } from './secrets.exception.js';

interface Fetched {
  type: ProviderType;
  value: SecretValue;
}

const MAX_CACHED = 50_000;

/**
 * Resolves `{{ secrets.<name>.<path>#<key> }}` for the engine (its `SecretResolver`): through the org's own provider
 * of that name, with a short per-org cache (TENANTFLOW_SECRETS_CACHE_TTL; 0 disables it), concurrent misses for the
 * same secret sharing one provider call, and the whole call bounded by TENANTFLOW_SECRETS_TIMEOUT. Failures are
 * {@link SecretUnavailableError}s naming provider and path, never a value. Values live only in memory.
 */
@Injectable()
export class SecretResolverService implements OnModuleDestroy {
  private readonly values = new Map<string, Fetched & { expires: number }>();
  private readonly inflight = new Map<string, Promise<Fetched>>();
  private readonly clients = new Map<string, { version: string; provider: SecretsProvider }>();
  private readonly resolutions: Counter<'provider' | 'outcome' | 'cache'>;

  constructor(
    private readonly config: AppConfig,
    private readonly store: SecretProvidersStore,
    private readonly factory: ProviderFactory,
    metrics: Metrics,
  ) {
    this.resolutions = metrics.counter(
      'tenantflow_secret_resolutions_total',
      'Secret reference resolutions by provider type, outcome and cache hit.',
      ['provider', 'outcome', 'cache'],
    );
  }

  async resolve(orgId: string, ref: SecretRefInput): Promise<string> {
    const shown = ref.key ? `${ref.path}#${ref.key}` : ref.path;
    const cacheKey = `${orgId}\u0000${ref.provider}\u0000${ref.path}`;
    const hit = this.values.get(cacheKey);
    if (hit && hit.expires > Date.now()) return this.pick(ref, shown, hit, 'hit');
    let pending = this.inflight.get(cacheKey);
    if (!pending) {
      pending = this.fetch(orgId, ref, shown).finally(() => this.inflight.delete(cacheKey));
      this.inflight.set(cacheKey, pending);
    }
    // A shared miss failed: each caller's error names its own reference.
    const fetched = await pending.catch((e: unknown) => {
      throw e instanceof SecretUnavailableError ? new SecretUnavailableError(ref.provider, shown, e.reason) : e;
    });
    const ttl = this.config.get('TENANTFLOW_SECRETS_CACHE_TTL');
    if (ttl > 0) {
      if (this.values.size >= MAX_CACHED) this.values.clear();
      this.values.set(cacheKey, { ...fetched, expires: Date.now() + ttl });
    }
    return this.pick(ref, shown, fetched, 'miss');
  }

  /** Drops cached values and the client of one provider (after it changed or was deleted). */
  forget(orgId: string, name: string): void {
    const prefix = `${orgId}\u0000${name}\u0000`;
    for (const k of this.values.keys()) if (k.startsWith(prefix)) this.values.delete(k);
    const id = `${orgId}\u0000${name}`;
    this.clients.get(id)?.provider.dispose();
    this.clients.delete(id);
  }

  onModuleDestroy(): void {
    for (const c of this.clients.values()) c.provider.dispose();
    this.clients.clear();
    this.values.clear();
  }

  private pick(ref: SecretRefInput, shown: string, fetched: Fetched, cache: 'hit' | 'miss'): string {
    try {
      const value = pickValue(fetched.value, ref.key);
      this.resolutions.inc({ provider: fetched.type, outcome: 'success', cache });
      return value;
    } catch (e) {
      const reason = e instanceof ProviderFailure ? e.reason : 'unavailable';
      this.resolutions.inc({ provider: fetched.type, outcome: reason, cache });
      throw new SecretUnavailableError(ref.provider, shown, reason);
    }
  }

  private async fetch(orgId: string, ref: SecretRefInput, shown: string): Promise<Fetched> {
    let type: ProviderType | 'unknown' = 'unknown';
    const timeoutMs = this.config.get('TENANTFLOW_SECRETS_TIMEOUT');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new ProviderFailure('timeout')), timeoutMs)),
    );
    try {
      const work = (async () => {
        const loaded = await this.store.load(orgId, ref.provider);
        if (!loaded) throw new ProviderFailure('not_configured');
        type = loaded.spec.type;
        assertReferenceShape(loaded.spec.type, ref);
        const value = await this.client(orgId, ref.provider, loaded.version, loaded.spec).getSecret(ref.path);
        return { type: loaded.spec.type, value };
      })();
      work.catch(() => undefined);
      const fetched = await Promise.race([work, deadline]);
      return fetched;
    } catch (e) {
      const reason: SecretFailureReason = e instanceof ProviderFailure ? e.reason : 'unavailable';
      this.resolutions.inc({ provider: type, outcome: reason, cache: 'miss' });
      throw new SecretUnavailableError(ref.provider, shown, reason);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The org's client for this provider version; a changed definition (or allowlist) replaces it. */
  private client(orgId: string, name: string, version: string, spec: ProviderSpec): SecretsProvider {
    const id = `${orgId}\u0000${name}`;
    const current = this.clients.get(id);
    if (current?.version === version) return current.provider;
    current?.provider.dispose();
    const provider = this.factory.create(spec);
    if (this.clients.size >= 10_000) this.onModuleDestroy();
    this.clients.set(id, { version, provider });
    return provider;
  }
}
