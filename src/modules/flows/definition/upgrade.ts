import { CURRENT_SCHEMA_VERSION, type FlowDefinition, type JsonObject } from './definition.types.js';
import { DEFINITION_MIGRATIONS } from './migrations/index.js';

export class DefinitionUpgradeError extends Error {}

export interface UpgradeResult {
  definition: FlowDefinition;
  /** The schema version the input had. */
  fromVersion: number;
  upgraded: boolean;
}

/**
 * Brings a stored (or submitted) definition to the current schema version by applying the registered migrations
 * in order. Stored rows are never rewritten (versions are immutable); readers upgrade on every read.
 * A version newer than this server, or one without a migration path, is an error.
 */
export function upgradeDefinition(
  raw: unknown,
  migrations: Readonly<Record<number, (def: JsonObject) => JsonObject>> = DEFINITION_MIGRATIONS,
  target = CURRENT_SCHEMA_VERSION,
): UpgradeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new DefinitionUpgradeError('A definition must be a JSON object');
  const from = (raw as JsonObject).schemaVersion;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1)
    throw new DefinitionUpgradeError('schemaVersion must be a positive integer');
  if (from > target)
    throw new DefinitionUpgradeError(`schemaVersion ${from} is newer than this server supports (${target})`);
  let def = raw as JsonObject;
  for (let v = from; v < target; v++) {
    const step = migrations[v];
    if (!step) throw new DefinitionUpgradeError(`No upgrade from schemaVersion ${v}`);
    def = { ...step(structuredClone(def)), schemaVersion: v + 1 };
  }
  return { definition: def as unknown as FlowDefinition, fromVersion: from, upgraded: from !== target };
}
