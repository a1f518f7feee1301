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

type Values = { [K in SettingName]: (typeof SETTINGS)[K]['kind'] extends 'int' | 'duration_ms' | 'bytes' ? number : string };

/**
 * The one validated configuration object. Module code reads settings only through it, never `process.env`.
 * Unknown `TENANTFLOW_*` variables stop the start (fail closed on typos such as a misspelt key name).
 */
export class AppConfig {
  private constructor(private readonly values: Partial<Values>) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<SettingName, string>> = {}): AppConfig {
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
    if (values.TENANTFLOW_ENCRYPTION_KEY && values.TENANTFLOW_ENCRYPTION_KEYS) {
      throw new ConfigError('TENANTFLOW_ENCRYPTION_KEY and TENANTFLOW_ENCRYPTION_KEYS are exclusive: set one');
    }
    return new AppConfig(values as Partial<Values>);
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
