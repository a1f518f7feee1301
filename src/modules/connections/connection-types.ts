import type { FieldError } from '../../core/errors/app.exception.js';

export const CONNECTION_TYPES = ['api_key', 'basic', 'bearer', 'oauth2', 'custom'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

/** Non-secret fields (stored in `settings`, shown in responses) and secret fields (sealed, write-only). */
export interface SplitData {
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

type Raw = Record<string, unknown>;
const MAX_STRING = 8192;
const NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/; // an HTTP token: usable as a header or query name
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: FieldError[] = [];
  constructor(private readonly data: Raw) {}

  private err(path: string, message: string): undefined {
    this.errors.push({ path: `data.${path}`, message });
    return undefined;
  }

  str(key: string, opts: { optional?: boolean; max?: number } = {}): string | undefined {
    const v = this.data[key];
    if (v === undefined || v === null) return opts.optional ? undefined : this.err(key, 'is required');
    if (typeof v !== 'string' || v.length === 0) return this.err(key, 'must be a non-empty string');
    if (v.length > (opts.max ?? MAX_STRING))
      return this.err(key, `must be at most ${opts.max ?? MAX_STRING} characters`);
    if (/[\r\n\0]/.test(v)) return this.err(key, 'must not contain line breaks');
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback?: T): T | undefined {
    const v = this.data[key] ?? fallback;
    if (typeof v !== 'string' || !values.includes(v as T)) return this.err(key, `must be one of ${values.join(', ')}`);
    return v as T;
  }

  httpName(key: string): string | undefined {
    const v = this.str(key, { max: 128 });
    if (v !== undefined && !NAME_RE.test(v)) return this.err(key, 'must be a valid header or query parameter name');
    return v;
  }

  url(key: string, optional = false): string | undefined {
    const v = this.str(key, { optional, max: 2048 });
    if (v === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return this.err(key, 'must be an absolute http or https URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      return this.err(key, 'must be an absolute http or https URL');
    if (u.username || u.password) return this.err(key, 'must not contain credentials');
    return v;
  }

  scopes(key: string): string[] | undefined {
    const v = this.data[key];
    if (v === undefined || v === null) return undefined;
    if (
      !Array.isArray(v) ||
      v.length > 50 ||
      !v.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/.test(s))
    ) {
      return this.err(key, 'must be a list of up to 50 scope tokens');
    }
    return v as string[];
  }

  unknown(allowed: string[]): void {
    for (const k of Object.keys(this.data))
      if (!allowed.includes(k)) this.err(k, 'is not a field of this connection type');
  }

  custom(): { settings: Raw; secrets: Record<string, string> } {
    const out = { settings: {} as Raw, secrets: {} as Record<string, string> };
    const fields = this.data.fields;
    if (!isObject(fields) || Object.keys(fields).length === 0 || Object.keys(fields).length > 50) {
      this.err('fields', 'must be an object of 1 to 50 fields');
      return out;
    }
    const shown: Raw = {};
    for (const [name, f] of Object.entries(fields)) {
      const at = `fields.${name}`;
      if (!NAME_RE.test(name)) this.err(at, 'field names must be valid header or query parameter names');
      else if (
        !isObject(f) ||
        typeof f.value !== 'string' ||
        f.value.length === 0 ||
        f.value.length > MAX_STRING ||
        /[\r\n\0]/.test(f.value)
      )
        this.err(`${at}.value`, 'must be a non-empty string without line breaks');
      else if (typeof f.secret !== 'boolean') this.err(`${at}.secret`, 'must be true or false');
      else if (f.in !== undefined && f.in !== 'header' && f.in !== 'query')
        this.err(`${at}.in`, 'must be header or query');
      else if (Object.keys(f).some((k) => !['value', 'secret', 'in'].includes(k)))
        this.err(at, 'may only have value, secret and in');
      else {
        shown[name] = f.secret
          ? { secret: true, in: f.in ?? 'header' }
          : { secret: false, in: f.in ?? 'header', value: f.value };
        if (f.secret) out.secrets[`fields.${name}`] = f.value;
      }
    }
    out.settings.fields = shown;
    return out;
  }
}

/** Fields each type stores as secrets (write-only). `custom` declares its own. */
export const SECRET_FIELDS: Record<ConnectionType, string[]> = {
  api_key: ['value'],
  basic: ['password'],
  bearer: ['token'],
  oauth2: ['clientSecret'],
  custom: [],
};

const prune = (o: Raw): Raw => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * Validates a connection's `data` for its type and splits it into non-secret settings and secret fields. Any string
 * may be a secret reference (`{{ secrets.<name>.<path>#<key> }}`), stored as given and resolved at execution.
 * Every type also takes an optional `testUrl` that `POST /connections/:id/test` calls with the credentials.
 */
export function validateConnectionData(
  type: ConnectionType,
  data: unknown,
): { split?: SplitData; errors: FieldError[] } {
  if (!isObject(data)) return { errors: [{ path: 'data', message: 'must be an object' }] };
  const c = new Checker(data);
  const testUrl = c.url('testUrl', true);
  let split: SplitData;
  switch (type) {
    case 'api_key':
      c.unknown(['in', 'name', 'value', 'testUrl']);
      split = {
        settings: { in: c.oneOf('in', ['header', 'query'] as const), name: c.httpName('name') },
        secrets: { value: c.str('value') ?? '' },
      };
      break;
    case 'basic':
      c.unknown(['username', 'password', 'testUrl']);
      split = {
        settings: { username: c.str('username', { max: 512 }) },
        secrets: { password: c.str('password') ?? '' },
      };
      if (split.settings.username && String(split.settings.username).includes(':'))
        c.errors.push({ path: 'data.username', message: 'must not contain ":"' });
      break;
    case 'bearer':
      c.unknown(['token', 'testUrl']);
      split = { settings: {}, secrets: { token: c.str('token') ?? '' } };
      break;
    case 'oauth2':
      c.unknown(['grantType', 'clientId', 'clientSecret', 'tokenUrl', 'authorizeUrl', 'scopes', 'testUrl']);
      split = {
        settings: prune({
          grantType: c.oneOf('grantType', ['client_credentials', 'authorization_code'] as const),
          clientId: c.str('clientId', { max: 512 }),
          tokenUrl: c.url('tokenUrl'),
          authorizeUrl: c.url('authorizeUrl', true),
          scopes: c.scopes('scopes'),
        }),
        secrets: { clientSecret: c.str('clientSecret') ?? '' },
      };
      if (
        split.settings.grantType === 'authorization_code' &&
        !split.settings.authorizeUrl &&
        !c.errors.some((e) => e.path === 'data.authorizeUrl')
      ) {
        c.errors.push({ path: 'data.authorizeUrl', message: 'is required for the authorization_code grant' });
      }
      break;
    case 'custom':
      c.unknown(['fields', 'testUrl']);
      split = c.custom();
      break;
  }
  if (testUrl) split.settings.testUrl = testUrl;
  return c.errors.length ? { errors: c.errors } : { split, errors: [] };
}

/**
 * The full data of a stored connection with `patch` applied: secret fields left out of the patch keep their stored
 * values (responses never carry them, so a client cannot send them back).
 */
export function mergeForPatch(type: ConnectionType, settings: Raw, secrets: Record<string, string>, patch: Raw): Raw {
  if (type !== 'custom') {
    const merged: Raw = { ...settings, ...secrets, ...patch };
    for (const k of Object.keys(patch)) if (patch[k] === null) delete merged[k];
    return merged;
  }
  const fields: Raw = {};
  const stored = (settings.fields ?? {}) as Record<string, Raw>;
  for (const [name, f] of Object.entries(stored))
    fields[name] = { value: f.secret ? secrets[`fields.${name}`] : f.value, secret: f.secret, in: f.in };
  const patched = isObject(patch.fields) ? patch.fields : {};
  for (const [name, f] of Object.entries(patched)) {
    if (f === null) delete fields[name];
    else if (isObject(f) && f.value === undefined && isObject(fields[name]))
      fields[name] = { ...(fields[name] as Raw), ...f };
    else fields[name] = f;
  }
  const testUrl = 'testUrl' in patch ? patch.testUrl : settings.testUrl;
  return prune({ fields, testUrl: testUrl ?? undefined });
}

/** What responses show: settings as stored, each secret field only as `{set: true}`. */
export function presentData(type: ConnectionType, settings: Raw, hasSecrets: boolean): Raw {
  if (type === 'custom') {
    const fields: Raw = {};
    for (const [name, f] of Object.entries((settings.fields ?? {}) as Record<string, Raw>)) {
      fields[name] = f.secret
        ? { secret: true, in: f.in, set: hasSecrets }
        : { secret: false, in: f.in, value: f.value };
    }
    return prune({ fields, testUrl: settings.testUrl });
  }
  const out: Raw = { ...settings };
  for (const k of SECRET_FIELDS[type]) out[k] = { set: hasSecrets };
  return out;
}
