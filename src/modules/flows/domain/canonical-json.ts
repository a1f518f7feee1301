import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal values serialise identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export const definitionHash = (value: unknown): string =>
  createHash('sha256').update(canonicalJson(value)).digest('hex');
