import type { JsonObject } from '../definition.types.js';

/**
 * Read-time upgrades of stored definitions: `DEFINITION_MIGRATIONS[n]` turns a schema-version-`n` definition into
 * version `n + 1`. Pure and total on valid version-`n` input. Empty while version 1 is the only one; add
 * `v1-to-v2.ts` here when the schema moves (and bump `CURRENT_SCHEMA_VERSION`).
 */
export const DEFINITION_MIGRATIONS: Readonly<Record<number, (def: JsonObject) => JsonObject>> = {};
