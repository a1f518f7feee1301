import type { SecretFailureReason } from '../secrets.exception.js';
import { SecretsProvider, type SecretValue } from './secrets-provider.base.js';

/** The env provider: only variables under the operator's prefix (captured at start), keyed without it. */
export class EnvProvider extends SecretsProvider {
  constructor(
    /** False when TENANTFLOW_SECRETS_ENV_PREFIX is unset: the operator has not opened the environment to orgs. */
    private readonly enabled: boolean,
    private readonly vars: ReadonlyMap<string, string>,
    timeoutMs: number,
  ) {
    super(timeoutMs);
  }

  protected async doConnect(): Promise<void> {
    if (!this.enabled) throw new Error('disabled');
  }

  protected async doGetSecret(path: string): Promise<SecretValue> {
    const v = this.vars.get(path);
    if (v === undefined) throw Object.assign(new Error('missing'), { name: 'ResourceNotFoundException' });
    return v;
  }

  protected async doTest(): Promise<void> {}

  protected reasonOf(error: unknown): SecretFailureReason | undefined {
    const e = error as Error;
    if (e?.message === 'disabled') return 'misconfigured';
    return e?.name === 'ResourceNotFoundException' ? 'not_found' : undefined;
  }
}
