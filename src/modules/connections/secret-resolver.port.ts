import type { SecretReference } from './secret-refs.js';

/**
 * How connection routes outside a run (the test call) resolve secret references: bound by the secrets module
 * (`CONNECTION_SECRET_RESOLVER`). Runs use the engine's own resolver instead (cached per run, values redacted).
 */
export interface ConnectionSecretResolver {
  resolve(orgId: string, ref: SecretReference): Promise<string>;
}

export const CONNECTION_SECRET_RESOLVER = Symbol('CONNECTION_SECRET_RESOLVER');

/** A reference that cannot be resolved; names the provider, never a value. */
export class SecretUnavailableError extends Error {}

export const NO_SECRET_RESOLVER: ConnectionSecretResolver = {
  resolve: async (_orgId, ref) => {
    throw new SecretUnavailableError(`secret_unavailable: provider "${ref.provider}" is not configured`);
  },
};
