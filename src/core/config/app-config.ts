import { readFileSync } from 'node:fs';
import { SETTINGS, type SettingName, type SettingSpec } from './settings.js';

export class ConfigError extends Error {}

const OWN_PREFIX = 'TENANTFLOW_';

/** Reads the raw value of a setting, honouring `<NAME>_FILE`. */
function readRaw(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${name}_FILE: cannot read the file it names`);
    }
  }
  const value = env[name];
  return value === '' ? undefined : value;
}

function parseValue(name: string, spec: SettingSpec, raw: string): string | number | boolean {
  const fail = (expected: string): never => {
    const shown = spec.sensitive ? '' : ` (got "${raw}")`;
    throw new ConfigError(`${name} must be ${expected}${shown}`);
  };
  switch (spec.kind) {
    case 'int':
    case 'duration_ms':
    case 'bytes': {
      if (!/^\d+$/.test(raw)) fail('a whole number');
      const n = Number(raw);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        fail(`between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'bool':
      if (!['true', 'false', '1', '0'].includes(raw)) fail('true or false');
      return raw === 'true' || raw === '1';
    case 'enum':
      if (!spec.values?.includes(raw)) fail(`one of ${spec.values?.join(', ')}`);
      return raw;
    case 'url':
      try {
        new URL(raw);
      } catch {
        fail('an absolute URL');
      }
      return raw;
    default:
      return raw;
  }
}

type Values = {
  [K in SettingName]: (typeof SETTINGS)[K]['kind'] extends 'int' | 'duration_ms' | 'bytes'
    ? number
    : (typeof SETTINGS)[K]['kind'] extends 'bool'
      ? boolean
      : string;
};

/**
 * The variables an `env` secret provider may read: those under the operator's prefix, captured once at start (so module
 * code never reads process.env). The prefix may not reach the server's own settings (TENANTFLOW_*, DATABASE_URL, ...).
 */
function secretEnvFrom(env: NodeJS.ProcessEnv, prefix: string | undefined): ReadonlyMap<string, string> {
  if (!prefix) return new Map();
  const own = Object.keys(SETTINGS).some((name) => name.startsWith(prefix) || `${name}_FILE`.startsWith(prefix));
  if (!/^[A-Z][A-Z0-9_]{2,63}_$/.test(prefix) || prefix.startsWith(OWN_PREFIX) || own) {
    throw new ConfigError(
      'TENANTFLOW_SECRETS_ENV_PREFIX must be upper case, end with "_", and not start with TENANTFLOW_ or any other setting (e.g. TF_ORG_SECRET_)',
    );
  }
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(prefix) && name.length > prefix.length && value !== undefined)
      out.set(name.slice(prefix.length), value);
  }
  return out;
}

/**
 * The one validated configuration object. Module code reads settings only through it, never `process.env`.
 * Unknown `TENANTFLOW_*` variables stop the start (fail closed on typos such as a misspelt key name).
 */
export class AppConfig {
  private constructor(
    private readonly values: Partial<Values>,
    /** Variables under TENANTFLOW_SECRETS_ENV_PREFIX, keyed without the prefix. */
    readonly secretEnv: ReadonlyMap<string, string> = new Map(),
  ) {}

  static fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    overrides: Partial<Record<SettingName, string>> = {},
  ): AppConfig {
    for (const key of Object.keys(env)) {
      const base = key.endsWith('_FILE') ? key.slice(0, -5) : key;
      if (key.startsWith(OWN_PREFIX) && !(base in SETTINGS)) {
        throw new ConfigError(`${key} is not a known setting (see config/tenantflow.env.example)`);
      }
    }
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
      const raw = overrides[name] ?? readRaw(env, name) ?? spec.default;
      if (raw !== undefined) values[name] = parseValue(name, spec, raw);
    }
    if (values.TENANTFLOW_MODE !== 'all' && !values.REDIS_URL) {
      throw new ConfigError(
        `TENANTFLOW_MODE=${String(values.TENANTFLOW_MODE)} needs REDIS_URL (runs go through the queue in Redis); set REDIS_URL or use TENANTFLOW_MODE=all`,
      );
    }
    if (values.TENANTFLOW_ENCRYPTION_KEY && values.TENANTFLOW_ENCRYPTION_KEYS) {
      throw new ConfigError('TENANTFLOW_ENCRYPTION_KEY and TENANTFLOW_ENCRYPTION_KEYS are exclusive: set one');
    }
    return new AppConfig(
      values as Partial<Values>,
      secretEnvFrom(env, values.TENANTFLOW_SECRETS_ENV_PREFIX as string | undefined),
    );
  }

  get<K extends SettingName>(name: K): Values[K] {
    return this.values[name] as Values[K];
  }

  optional<K extends SettingName>(name: K): Values[K] | undefined {
    return this.values[name];
  }

  get isProduction(): boolean {
    return this.get('NODE_ENV') === 'production';
  }

  /** Base URL every public link is built from. */
  publicUrl(listeningPort?: number): string {
    const configured = this.optional('TENANTFLOW_PUBLIC_URL');
    if (configured) return configured.replace(/\/+$/, '');
    const host = this.get('HOST') === '0.0.0.0' ? '127.0.0.1' : this.get('HOST');
    return `http://${host}:${listeningPort ?? this.get('PORT')}`;
  }
}
