/** A `{{ secrets.<name>.<path>#<key> }}` reference (the same shape the engine's secret resolver takes). */
export interface SecretReference {
  provider: string;
  path: string;
  key: string;
}

/** Resolves one reference for an org; the engine passes its own (cached per run, values redacted). */
export type ResolveSecret = (ref: SecretReference) => Promise<string>;

const REF_RE = /\{\{\s*secrets\.([A-Za-z0-9_-]+)\.([^#\s}]+)(?:#([A-Za-z0-9_.\-/]+))?\s*\}\}/g;

export function hasSecretReference(value: string): boolean {
  return value.search(REF_RE) >= 0;
}

/**
 * Replaces every secret reference in `value` with its resolved value. Text around references is kept, so
 * `"Bearer {{ secrets.vault.api#token }}"` works. Anything else in `{{ }}` is left as literal text: connection
 * fields are not expressions.
 */
export async function resolveReferences(value: string, resolve: ResolveSecret): Promise<string> {
  // matchAll works on a copy of the regex (a shared global regex's lastIndex would skip matches).
  if (value.search(REF_RE) < 0) return value;
  const parts: (string | Promise<string>)[] = [];
  let last = 0;
  for (const m of value.matchAll(REF_RE)) {
    parts.push(value.slice(last, m.index));
    parts.push(resolve({ provider: m[1], path: m[2], key: m[3] ?? '' }));
    last = m.index + m[0].length;
  }
  parts.push(value.slice(last));
  return (await Promise.all(parts)).join('');
}
