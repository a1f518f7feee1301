import type * as SecretsManagerSdk from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsAuth, AwsConfig } from '../provider-config.js';
import type { SecretFailureReason } from '../secrets.exception.js';
import type { GuardedAgents } from './guarded-agent.js';
import { SecretsProvider, type SecretValue } from './secrets-provider.base.js';

const NAME_REASONS: Record<string, SecretFailureReason> = {
  ResourceNotFoundException: 'not_found',
  AccessDeniedException: 'denied',
  UnrecognizedClientException: 'denied',
  InvalidSignatureException: 'denied',
  SignatureDoesNotMatch: 'denied',
  ExpiredTokenException: 'denied',
  DecryptionFailure: 'denied',
  InvalidParameterException: 'invalid_reference',
  InvalidRequestException: 'invalid_reference',
  ValidationException: 'invalid_reference',
  InternalServiceError: 'unavailable',
  ThrottlingException: 'unavailable',
  CredentialsProviderError: 'misconfigured',
};

/**
 * AWS Secrets Manager through the real `@aws-sdk/client-secrets-manager`: a region, static credentials or (when the
 * operator allows it) the default chain, an endpoint override, a version stage. A binary secret is returned as
 * base64. The SDK's own retries are off: the node's retry policy decides, and one reference costs one call.
 */
export class AwsProvider extends SecretsProvider {
  private client?: SecretsManagerClient;
  private sdk?: typeof SecretsManagerSdk;

  constructor(
    private readonly config: AwsConfig,
    private readonly auth: AwsAuth | undefined,
    private readonly agents: GuardedAgents,
    timeoutMs: number,
  ) {
    super(timeoutMs);
  }

  protected async doConnect(): Promise<void> {
    this.sdk ??= await import('@aws-sdk/client-secrets-manager');
    this.client?.destroy();
    this.client = new this.sdk.SecretsManagerClient({
      region: this.config.region,
      ...(this.config.endpoint ? { endpoint: this.config.endpoint } : {}),
      ...(this.auth ? { credentials: { ...this.auth } } : {}),
      maxAttempts: 1,
      // The SDK's own Node handler, given the org-guarded agents: every connection is checked against the egress policy.
      requestHandler: {
        httpAgent: this.agents.httpAgent,
        httpsAgent: this.agents.httpsAgent,
        connectionTimeout: this.timeoutMs,
        requestTimeout: this.timeoutMs,
      },
    });
  }

  protected async doGetSecret(path: string): Promise<SecretValue> {
    const out = await this.client!.send(
      new this.sdk!.GetSecretValueCommand({
        SecretId: path,
        ...(this.config.versionStage ? { VersionStage: this.config.versionStage } : {}),
      }),
    );
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('base64');
    throw Object.assign(new Error('empty secret'), { name: 'ResourceNotFoundException' });
  }

  protected async doTest(): Promise<void> {
    await this.client!.send(new this.sdk!.ListSecretsCommand({ MaxResults: 1 }));
  }

  protected reasonOf(error: unknown): SecretFailureReason | undefined {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name && NAME_REASONS[e.name]) return NAME_REASONS[e.name];
    const status = e?.$metadata?.httpStatusCode;
    if (status === 403 || status === 401) return 'denied';
    if (status === 404) return 'not_found';
    if (typeof status === 'number' && status >= 500) return 'unavailable';
    return undefined;
  }

  dispose(): void {
    this.client?.destroy();
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}
