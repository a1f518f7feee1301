import { createHmac, randomBytes } from 'node:crypto';
import type { FlowDefinition, JsonObject, NodeTypeRegistry, ParamSchema } from '../definition/index.js';
import { hasExpression, mapSensitive, type DefinitionIssue } from '../definition/index.js';

/** What API responses show instead of a literal secret value (webhook secrets, passwords). */
export const MASK = '********';

/**
 * Expressions and secret references are not secrets themselves; only literal values are masked. "Literal" is what the
 * template grammar reads as text, so a typed-in secret that merely contains `{{` is still masked.
 */
const isLiteralSecret = (v: unknown): boolean => !(typeof v === 'string' && hasExpression(v));

type Mapper = (schema: ParamSchema, value: unknown, root: string) => unknown;

/** Applies `map` to the trigger settings and every node's params, each with its own schema and a stable root. */
function mapDefinition(def: FlowDefinition, registry: NodeTypeRegistry, map: Mapper): FlowDefinition {
  const trigger = registry.getTriggerType(def.trigger.type);
  const settings =
    trigger && def.trigger.settings !== undefined
      ? map(trigger.settings, def.trigger.settings, `trigger:${def.trigger.type.replace(/\./g, '%2E')}`)
      : def.trigger.settings;
  return {
    ...def,
    trigger: settings === undefined ? { ...def.trigger } : { ...def.trigger, settings: settings as JsonObject },
    nodes: def.nodes.map((n) => {
      const spec = registry.getNodeType(n.type);
      return spec && n.params !== undefined
        ? { ...n, params: map(spec.params, n.params, `node:${n.id}:${n.type.replace(/\./g, '%2E')}`) as JsonObject }
        : n;
    }),
  };
}

/** A copy for responses: literal sensitive values replaced by `MASK`. */
export function maskDefinition(def: FlowDefinition, registry: NodeTypeRegistry): FlowDefinition {
  return mapDefinition(def, registry, (schema, value, root) =>
    mapSensitive(schema, value, root, (v) => (isLiteralSecret(v) ? MASK : v)),
  );
}

/**
 * A copy for diffs: equal secrets get equal placeholders and different ones different placeholders (keyed by a
 * random per-call key, so nothing about the value leaks); `unmaskDiffValue` turns them back into `MASK`.
 */
export function maskForDiff(defs: FlowDefinition[], registry: NodeTypeRegistry): FlowDefinition[] {
  const key = randomBytes(32);
  const tag = (v: unknown) =>
    `${MASK}#${createHmac('sha256', key).update(JSON.stringify(v)).digest('hex').slice(0, 16)}`;
  return defs.map((d) =>
    mapDefinition(d, registry, (s, value, root) =>
      mapSensitive(s, value, root, (v) => (isLiteralSecret(v) ? tag(v) : v)),
    ),
  );
}

export function unmaskDiffValue(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith(`${MASK}#`) ? MASK : v;
  if (Array.isArray(v)) return v.map(unmaskDiffValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unmaskDiffValue(x)]));
  return v;
}

/**
 * Puts back stored secrets where a client sent `MASK` (it read a masked draft and saved it again). A mask with no
 * stored value at the same place (same node id and type, same parameter path) is an error: the value is unknown.
 */
export function restoreMasked(
  next: FlowDefinition,
  previous: FlowDefinition | null,
  registry: NodeTypeRegistry,
): { definition: FlowDefinition; issues: DefinitionIssue[] } {
  const stored = new Map<string, unknown>();
  if (previous)
    mapDefinition(previous, registry, (s, value, root) =>
      mapSensitive(s, value, root, (v, p) => (stored.set(p, v), v)),
    );
  const issues: DefinitionIssue[] = [];
  const definition = mapDefinition(next, registry, (s, value, root) =>
    mapSensitive(s, value, root, (v, p) => {
      if (v !== MASK) return v;
      if (stored.has(p)) return stored.get(p);
      issues.push({ path: toJsonPath(next, p), message: 'is masked but no stored value exists here; send the value' });
      return v;
    }),
  );
  return { definition, issues };
}

/** `node:<id>:<type>.a.b` → `$.nodes[i].params.a.b`; `trigger:<type>.a` → `$.trigger.settings.a`. */
function toJsonPath(def: FlowDefinition, p: string): string {
  const m = /^(node|trigger):([^.[]*)(.*)$/.exec(p);
  if (!m) return '$';
  if (m[1] === 'trigger') return `$.trigger.settings${m[3]}`;
  const [id] = m[2].split(':');
  return `$.nodes[${def.nodes.findIndex((n) => n.id === id)}].params${m[3]}`;
}
