import { hasTemplate, parseSecretReference } from '../../flows/index.js';

/**
 * Reads the secret a webhook auth setting stands for. A `{{ secrets… }}` reference (flows' template grammar) needs a secret provider, which
 * this server does not have yet: it refuses (the request is then refused, fail closed). Every value read is kept for
 * redaction from the run's records.
 */
export function secretValueReader(): { read: (value: string) => Promise<string>; values: string[] } {
  const values: string[] = [];
  return {
    values,
    read: async (value: string) => {
      if (parseSecretReference(value) || hasTemplate(value)) throw new Error('secret providers are not available');
      values.push(value);
      return value;
    },
  };
}
