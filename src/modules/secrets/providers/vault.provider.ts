import type NodeVault from 'node-vault';
import type { VaultAuth, VaultConfig } from '../provider-config.js';
import { ProviderFailure, type SecretFailureReason } from '../secrets.exception.js';
import type { GuardedAgents } from './guarded-agent.js';
import { SecretsProvider, type SecretValue } from './secrets-provider.base.js';

type VaultClient = NodeVault.client & { namespace?: string; pathPrefix?: string };

const STATUS_REASONS: Record<number, SecretFailureReason> = {
  400: 'invalid_reference',
  401: 'denied',
  403: 'denied',
  404: 'not_found',
  429: 'unavailable',
};

/**
 * HashiCorp Vault through the real `node-vault` client: KV v2 (`<mount>/data/<path>`) or v1 (`<mount>/<path>`),
 * token or AppRole auth, namespaces, a custom CA. Tokens with a TTL are renewed by the client (`startTokenRenewal`);
 * an AppRole token that expired or could not be renewed is replaced by a fresh login on the next read.
 */
export class VaultProvider extends SecretsProvider {
  private client?: VaultClient;

  constructor(
    private readonly config: VaultConfig,
    private readonly auth: VaultAuth,
    private readonly agents: GuardedAgents,
    timeoutMs: number,
  ) {
    super(timeoutMs);
  }

  protected async doConnect(): Promise<void> {
    this.client?.stopAllRenewals();
    const { default: nodeVault } = await import('node-vault');
    const client = nodeVault({
      apiVersion: 'v1',
      endpoint: this.config.address,
      namespace: this.config.namespace,
      token: this.auth.method === 'token' ? this.auth.token : undefined,
      // Every request (reads, login, lookup, renewals, redirects) goes out through the org-guarded agents (which also
      // keep TLS verification on whatever VAULT_SKIP_VERIFY says: a per-request agent wins over node-vault's default).
      requestOptions: { httpAgent: this.agents.httpAgent, httpsAgent: this.agents.httpsAgent, timeout: this.timeoutMs },
    }) as VaultClient;
    // node-vault falls back to the server's VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX: never send the
    // operator's own token or settings to an org's Vault.
    if (this.auth.method !== 'token') client.token = '';
    client.namespace = this.config.namespace ?? '';
    client.pathPrefix = '';
    this.client = client;
    if (this.auth.method === 'approle') {
      const login = await client
        .approleLogin({ role_id: this.auth.roleId, secret_id: this.auth.secretId, mount_point: this.auth.mount })
        .catch((e: unknown) => {
          // Vault answers a wrong role or secret id with 400: for us that is a refused login.
          throw this.reasonOf(e) === 'invalid_reference' ? new ProviderFailure('denied', { cause: e }) : e;
        });
      this.renewFrom(login?.auth?.lease_duration, login?.auth?.renewable);
    } else {
      const self = await client.tokenLookupSelf();
      this.renewFrom(self?.data?.ttl, self?.data?.renewable);
    }
  }

  /** Keeps a renewable token alive; when renewal stops, the next read reconnects (AppRole logs in again). */
  private renewFrom(ttl: unknown, renewable: unknown): void {
    const client = this.client!;
    if (typeof ttl !== 'number' || ttl <= 0 || renewable === false) return;
    client.removeAllListeners('token:expired');
    client.removeAllListeners('token:error:renew');
    const lost = () => {
      if (this.client === client) this.state = 'initializing';
    };
    client.on('token:expired', lost);
    client.on('token:error:renew', lost);
    void client.startTokenRenewal({ ttl }).catch(lost);
  }

  protected async doGetSecret(path: string): Promise<SecretValue> {
    try {
      return await this.read(path);
    } catch (e) {
      // An AppRole token that lapsed between renewals: log in again once.
      if (this.auth.method !== 'approle' || this.reasonOf(e) !== 'denied') throw e;
      await this.doConnect();
      return this.read(path);
    }
  }

  private async read(path: string): Promise<SecretValue> {
    const { mount, kvVersion } = this.config;
    const res = await this.client!.read(kvVersion === 2 ? `${mount}/data/${path}` : `${mount}/${path}`);
    const data: unknown = kvVersion === 2 ? res?.data?.data : res?.data;
    // KV v2 answers 200 with data null for a deleted or destroyed version.
    if (typeof data !== 'object' || data === null)
      throw Object.assign(new Error('no data'), { response: { statusCode: 404 } });
    return data as Record<string, unknown>;
  }

  protected async doTest(): Promise<void> {
    await this.client!.tokenLookupSelf();
  }

  protected reasonOf(error: unknown): SecretFailureReason | undefined {
    const status = (error as { response?: { statusCode?: number } })?.response?.statusCode;
    if (typeof status !== 'number') return undefined;
    return STATUS_REASONS[status] ?? (status >= 500 ? 'unavailable' : 'misconfigured');
  }

  dispose(): void {
    this.client?.stopAllRenewals();
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}
