import { ProviderFailure } from './secrets.exception.js';
import type { ProviderType } from './provider-config.js';
import type { SecretValue } from './providers/secrets-provider.base.js';

/** A parsed `{{ secrets.<name>.<path>#<key> }}`; `key` absent (or empty) means the whole value. */
export interface SecretRefInput {
  provider: string;
  path: string;
  key?: string;
}

// Vault: segments of a KV path, never "." or ".." (the client would normalise them out of the mount).
const VAULT_PATH = /^(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
// AWS: a secret name or ARN (its documented character set).
const AWS_PATH = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
// env: the variable's name without the operator's prefix.
const ENV_PATH = /^[A-Za-z0-9_]{1,128}$/;
export const KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Refuses a path or key the provider type cannot take safely. */
export function assertReferenceShape(type: ProviderType, ref: SecretRefInput): void {
  const re = type === 'vault' ? VAULT_PATH : type === 'aws' ? AWS_PATH : ENV_PATH;
  if (!re.test(ref.path) || ref.path.length > 1024 || (ref.key && !KEY_RE.test(ref.key)))
    throw new ProviderFailure('invalid_reference');
}

/** Turns what the provider holds into the referenced string: the whole value, or one field of a JSON/map secret. */
export function pickValue(value: SecretValue, key: string | undefined): string {
  if (!key) return typeof value === 'string' ? value : JSON.stringify(value);
  let fields: unknown = value;
  if (typeof value === 'string') {
    try {
      fields = JSON.parse(value);
    } catch {
      throw new ProviderFailure('no_such_key');
    }
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || !Object.hasOwn(fields, key))
    throw new ProviderFailure('no_such_key');
  const picked = (fields as Record<string, unknown>)[key];
  if (typeof picked === 'string') return picked;
  if (typeof picked === 'number' || typeof picked === 'boolean') return String(picked);
  if (picked === null || picked === undefined) throw new ProviderFailure('no_such_key');
  return JSON.stringify(picked);
}
