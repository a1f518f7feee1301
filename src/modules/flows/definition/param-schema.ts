import { hasExpression } from './template-grammar.js';
/**
 * A small, data-driven schema language for node parameters and trigger settings. It is JSON-serialisable (so it
 * can be published to editors and declared by plugins) and knows our two validation levels:
 * - `draft`: refuses what is wrong (unknown keys, wrong types, out-of-range values, unknown enum values);
 * - `publish`: also refuses what is incomplete (missing required values, empty strings and lists, bad formats).
 */
export type StringFormat =
  | 'cron' // a cron expression (5 or 6 fields)
  | 'timezone' // an IANA time zone
  | 'connection-id' // a reference to a connection (a UUID)
  | 'header-name' // an HTTP header name (RFC 9110 token)
  | 'handle'; // an edge handle name

interface SchemaBase {
  description?: string;
  /** A secret value: masked in API responses, never logged; a secret reference is the recommended value. */
  sensitive?: boolean;
  default?: unknown;
}

export interface StringSchema extends SchemaBase {
  kind: 'string';
  minLength?: number;
  maxLength?: number;
  enum?: readonly string[];
  pattern?: string;
  format?: StringFormat | (string & {});
  /** Not an expression template (code): never evaluated, not scanned for `{{ }}` or secret references. */
  literal?: boolean;
}

export interface NumberSchema extends SchemaBase {
  kind: 'integer' | 'number';
  minimum?: number;
  maximum?: number;
  /** Accept a `{{ }}` expression string in place of the number. */
  expression?: boolean;
}

export interface BooleanSchema extends SchemaBase {
  kind: 'boolean';
  expression?: boolean;
}

export interface ObjectSchema extends SchemaBase {
  kind: 'object';
  properties?: Readonly<Record<string, ParamSchema>>;
  required?: readonly string[];
  /** Schema of keys not in `properties`; absent = unknown keys are refused. */
  additional?: ParamSchema;
  /** Pattern every key not in `properties` must match (e.g. header names). */
  keyPattern?: string;
  maxProperties?: number;
  expression?: boolean;
}

export interface ArraySchema extends SchemaBase {
  kind: 'array';
  items: ParamSchema;
  minItems?: number;
  maxItems?: number;
  expression?: boolean;
}

/** Any JSON value (typically a body or an expression). */
export interface JsonSchema extends SchemaBase {
  kind: 'json';
}

/** Objects discriminated by one string field (e.g. webhook `auth.mode`). */
export interface UnionSchema extends SchemaBase {
  kind: 'union';
  discriminator: string;
  variants: Readonly<Record<string, ObjectSchema>>;
}

export type ParamSchema =
  StringSchema | NumberSchema | BooleanSchema | ObjectSchema | ArraySchema | JsonSchema | UnionSchema;

export type ValidationLevel = 'draft' | 'publish';

export interface CheckOptions {
  formats?: Readonly<Record<string, FormatChecker>>;
  /** Message for keys a closed object does not know (default `unknown parameter`). */
  unknownKeyMessage?: string;
}

export interface SchemaIssue {
  path: string;
  message: string;
}

/** Format checks run at publish level only; plugins and the flows module may add more. */
export type FormatChecker = (value: string) => string | null;

/** A string holding a `{{ }}` (per template-grammar.ts): checked as an expression, not as a literal of its kind. */
export const isExpression = (v: unknown): v is string => typeof v === 'string' && hasExpression(v);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSONPath member access: `$.a.b`, or `$.a["x-y"]` for keys that are not identifiers. */
export const childPath = (path: string, key: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

export const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Checks `value` against `schema` and appends issues; `value === undefined` means absent. */
export function checkValue(
  schema: ParamSchema,
  value: unknown,
  path: string,
  level: ValidationLevel,
  issues: SchemaIssue[],
  opts: CheckOptions = {},
): void {
  const ctx: Ctx = {
    level,
    issues,
    formats: opts.formats ?? {},
    unknownKey: opts.unknownKeyMessage ?? 'unknown parameter',
  };
  check(schema, value, path, ctx);
}

interface Ctx {
  level: ValidationLevel;
  issues: SchemaIssue[];
  formats: Readonly<Record<string, FormatChecker>>;
  unknownKey: string;
}

function check(schema: ParamSchema, value: unknown, path: string, ctx: Ctx): void {
  if ('expression' in schema && schema.expression && isExpression(value)) return;
  switch (schema.kind) {
    case 'string':
      return checkString(schema, value, path, ctx);
    case 'integer':
    case 'number':
      return checkNumber(schema, value, path, ctx);
    case 'boolean':
      if (typeof value !== 'boolean')
        fail(ctx, path, `must be a boolean${schema.expression ? ' or an expression' : ''}, not ${typeName(value)}`);
      return;
    case 'object':
      return checkObject(schema, value, path, ctx);
    case 'array':
      return checkArray(schema, value, path, ctx);
    case 'json':
      return;
    case 'union':
      return checkUnion(schema, value, path, ctx);
  }
}

const fail = (ctx: Ctx, path: string, message: string): void => void ctx.issues.push({ path, message });

function checkString(s: StringSchema, v: unknown, path: string, ctx: Ctx): void {
  if (typeof v !== 'string') return fail(ctx, path, `must be a string, not ${typeName(v)}`);
  if (s.maxLength !== undefined && v.length > s.maxLength)
    return fail(ctx, path, `must be at most ${s.maxLength} characters`);
  if (s.enum && !s.enum.includes(v)) return fail(ctx, path, `must be one of ${s.enum.join(', ')}`);
  if (s.pattern && !isExpression(v) && !new RegExp(s.pattern).test(v))
    return fail(ctx, path, `does not match ${s.pattern}`);
  if (ctx.level !== 'publish') return;
  if (v.length < (s.minLength ?? 0))
    return fail(ctx, path, s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`);
  const checker = s.format ? ctx.formats[s.format] : undefined;
  const problem = checker && !isExpression(v) ? checker(v) : null;
  if (problem) fail(ctx, path, problem);
}

function checkNumber(s: NumberSchema, v: unknown, path: string, ctx: Ctx): void {
  const what = s.kind === 'integer' ? 'an integer' : 'a number';
  const alt = s.expression ? ' or an expression' : '';
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail(ctx, path, `must be ${what}${alt}, not ${typeName(v)}`);
  if (s.kind === 'integer' && !Number.isInteger(v)) return fail(ctx, path, `must be ${what}${alt}`);
  if (s.minimum !== undefined && v < s.minimum) return fail(ctx, path, `must be at least ${s.minimum}`);
  if (s.maximum !== undefined && v > s.maximum) fail(ctx, path, `must be at most ${s.maximum}`);
}

/** Keys that reach object prototypes when copied or merged: never part of a definition, whatever the schema. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function checkObject(s: ObjectSchema, v: unknown, path: string, ctx: Ctx): void {
  if (!isPlainObject(v))
    return fail(ctx, path, `must be an object${s.expression ? ' or an expression' : ''}, not ${typeName(v)}`);
  const keys = Object.keys(v);
  if (s.maxProperties !== undefined && keys.length > s.maxProperties)
    fail(ctx, path, `must have at most ${s.maxProperties} entries`);
  for (const key of keys) {
    // Own properties only: `properties['__proto__']` or `['constructor']` would otherwise find Object's members.
    const known = s.properties !== undefined && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
    const sub = known ?? s.additional;
    if (FORBIDDEN_KEYS.has(key)) fail(ctx, childPath(path, key), 'forbidden key');
    else if (!sub) fail(ctx, childPath(path, key), ctx.unknownKey);
    else if (!known && s.keyPattern && !new RegExp(s.keyPattern).test(key))
      fail(ctx, childPath(path, key), `key does not match ${s.keyPattern}`);
    else if (v[key] !== undefined) check(sub, v[key], childPath(path, key), ctx);
  }
  if (ctx.level !== 'publish') return;
  for (const key of s.required ?? []) {
    if (v[key] === undefined || v[key] === null) fail(ctx, childPath(path, key), 'is required');
  }
}

function checkArray(s: ArraySchema, v: unknown, path: string, ctx: Ctx): void {
  if (!Array.isArray(v))
    return fail(ctx, path, `must be an array${s.expression ? ' or an expression' : ''}, not ${typeName(v)}`);
  if (s.maxItems !== undefined && v.length > s.maxItems)
    return fail(ctx, path, `must have at most ${s.maxItems} items`);
  if (ctx.level === 'publish' && v.length < (s.minItems ?? 0))
    fail(ctx, path, `must have at least ${s.minItems} item(s)`);
  v.forEach((item, i) => check(s.items, item, `${path}[${i}]`, ctx));
}

function checkUnion(s: UnionSchema, v: unknown, path: string, ctx: Ctx): void {
  if (!isPlainObject(v)) return fail(ctx, path, `must be an object, not ${typeName(v)}`);
  const tag = v[s.discriminator];
  const tagPath = childPath(path, s.discriminator);
  if (tag === undefined) {
    if (ctx.level === 'publish') fail(ctx, tagPath, 'is required');
    return;
  }
  const variant = unionVariant(s, v);
  if (!variant) return fail(ctx, tagPath, `must be one of ${Object.keys(s.variants).join(', ')}`);
  const withTag: ObjectSchema = {
    ...variant,
    properties: { ...variant.properties, [s.discriminator]: { kind: 'string' } },
  };
  checkObject(withTag, v, path, ctx);
}

/**
 * A copy of `value` where every value marked `sensitive` by `schema` is replaced by `fn(value, path)`.
 * Used to mask secrets in responses and to restore masked values on save.
 */
export function mapSensitive(
  schema: ParamSchema,
  value: unknown,
  path: string,
  fn: (v: unknown, path: string) => unknown,
): unknown {
  if (value === undefined) return value;
  if (schema.sensitive) return fn(value, path);
  if ((schema.kind === 'object' || schema.kind === 'union') && isPlainObject(value)) {
    const obj = schema.kind === 'union' ? unionVariant(schema, value) : schema;
    if (!obj) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const sub = obj.properties?.[k] ?? obj.additional;
      out[k] = sub ? mapSensitive(sub, v, childPath(path, k), fn) : v;
    }
    return out;
  }
  if (schema.kind === 'array' && Array.isArray(value))
    return value.map((item, i) => mapSensitive(schema.items, item, `${path}[${i}]`, fn));
  return value;
}

function unionVariant(s: UnionSchema, v: Record<string, unknown>): ObjectSchema | undefined {
  const tag = v[s.discriminator];
  return typeof tag === 'string' && Object.hasOwn(s.variants, tag) ? s.variants[tag] : undefined;
}

/** Visits every value present in `value` together with the schema that describes it (depth first). */
export function walkSchema(
  schema: ParamSchema,
  value: unknown,
  path: string,
  visit: (s: ParamSchema, v: unknown, path: string) => void,
): void {
  if (value === undefined) return;
  visit(schema, value, path);
  if ((schema.kind === 'object' || schema.kind === 'union') && isPlainObject(value)) {
    const obj = schema.kind === 'union' ? unionVariant(schema, value) : schema;
    for (const [k, v] of Object.entries(value)) {
      const sub = obj?.properties?.[k] ?? obj?.additional;
      if (sub) walkSchema(sub, v, childPath(path, k), visit);
    }
  } else if (schema.kind === 'array' && Array.isArray(value)) {
    value.forEach((item, i) => walkSchema(schema.items, item, `${path}[${i}]`, visit));
  }
}
