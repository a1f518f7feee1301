import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { EgressPolicy, type EgressResolver, systemResolver } from '../egress/index.js';
import type {
  AwsAuth,
  AwsConfig,
  ProviderAuth,
  ProviderConfig,
  ProviderType,
  VaultAuth,
  VaultConfig,
} from './provider-config.js';
import { ProviderFailure } from './secrets.exception.js';
import { AwsProvider } from './providers/aws.provider.js';
import { EnvProvider } from './providers/env.provider.js';
import { guardedAgents } from './providers/guarded-agent.js';
import type { SecretsProvider } from './providers/secrets-provider.base.js';
import { VaultProvider } from './providers/vault.provider.js';

/** DI token: how provider clients resolve host names (tests point it at a fixed answer). */
export const SECRETS_DNS = Symbol('SECRETS_DNS');

/** A stored provider with its credentials opened, ready to build a client. */
export interface ProviderSpec {
  type: ProviderType;
  config: ProviderConfig;
  auth?: ProviderAuth;
  /** The org's egress allowlist (CIDRs and host names). */
  allowlist: readonly string[];
}

/** Builds provider clients from stored definitions, applying the operator's rules (timeout, env prefix, AWS chain). */
@Injectable()
export class ProviderFactory {
  constructor(
    private readonly appConfig: AppConfig,
    @Inject(SECRETS_DNS) private readonly resolver: EgressResolver,
  ) {}

  get timeoutMs(): number {
    return this.appConfig.get('TENANTFLOW_SECRETS_TIMEOUT');
  }

  get awsDefaultChainAllowed(): boolean {
    return this.appConfig.get('TENANTFLOW_SECRETS_AWS_DEFAULT_CHAIN') === true;
  }

  create(spec: ProviderSpec): SecretsProvider {
    switch (spec.type) {
      case 'vault': {
        if (!spec.auth) throw new ProviderFailure('misconfigured');
        const config = spec.config as VaultConfig;
        return new VaultProvider(
          config,
          spec.auth as VaultAuth,
          this.agents(spec.allowlist, config.caCert),
          this.timeoutMs,
        );
      }
      case 'aws':
        if (!spec.auth && !this.awsDefaultChainAllowed) throw new ProviderFailure('misconfigured');
        return new AwsProvider(
          spec.config as AwsConfig,
          spec.auth as AwsAuth | undefined,
          this.agents(spec.allowlist),
          this.timeoutMs,
        );
      case 'env':
        return new EnvProvider(
          !!this.appConfig.optional('TENANTFLOW_SECRETS_ENV_PREFIX'),
          this.appConfig.secretEnv,
          this.timeoutMs,
        );
    }
  }

  private agents(allowlist: readonly string[], ca?: string) {
    let policy: EgressPolicy;
    try {
      policy = new EgressPolicy(allowlist);
    } catch {
      policy = new EgressPolicy([]); // a malformed stored allowlist re-permits nothing
    }
    return guardedAgents({ policy, resolver: this.resolver, ca });
  }
}

export const defaultSecretsDns: EgressResolver = systemResolver;
