import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { CommonException, type FieldError } from '../../core/errors/app.exception.js';

export const PROVIDER_TYPES = ['vault', 'aws', 'env'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export interface VaultConfig {
  address: string;
  mount: string;
  kvVersion: 1 | 2;
  namespace?: string;
  caCert?: string;
}
export type VaultAuth =
  { method: 'token'; token: string } | { method: 'approle'; roleId: string; secretId: string; mount: string };

export interface AwsConfig {
  region: string;
  endpoint?: string;
  versionStage?: string;
}
export interface AwsAuth {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type ProviderConfig = VaultConfig | AwsConfig | Record<string, never>;
export type ProviderAuth = VaultAuth | AwsAuth;

/** A validated provider definition: `config` is public (stored as is), `auth` is a credential (sealed). */
export interface ProviderDefinition {
  type: ProviderType;
  config: ProviderConfig;
  auth?: ProviderAuth;
}

export const PROVIDER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MOUNT_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Check {
  readonly errors: FieldError[] = [];
  fail(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }
  only(o: Obj, path: string, allowed: string[]): void {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) this.fail(`${path}.${k}`, `${path}.${k} is not a known field`);
  }
  str(
    o: Obj,
    path: string,
    key: string,
    opts: { required?: boolean; max?: number; re?: RegExp; hint?: string } = {},
  ): string | undefined {
    const v = o[key];
    if (v === undefined || v === null)
      return opts.required ? this.fail(`${path}.${key}`, `${key} is required`) : undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > (opts.max ?? 512))
      return this.fail(`${path}.${key}`, `${key} must be a non-empty string of at most ${opts.max ?? 512} characters`);
    if (opts.re && !opts.re.test(v)) return this.fail(`${path}.${key}`, opts.hint ?? `${key} is not valid`);
    return v;
  }
}

/** True for names and addresses that stay on this machine: the only place plain http is accepted. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

function serviceUrl(c: Check, o: Obj, path: string, key: string, required: boolean): string | undefined {
  const raw = c.str(o, path, key, { required, max: 2048 });
  if (raw === undefined) return undefined;
  const url = URL.parse(raw);
  if (!url || !['https:', 'http:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    return c.fail(`${path}.${key}`, `${key} must be an http(s) URL without credentials, query or fragment`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    return c.fail(`${path}.${key}`, `${key} must use https (plain http only on loopback)`);
  return url.href.replace(/\/+$/, '');
}

function caBundle(c: Check, o: Obj, path: string): string | undefined {
  const pem = c.str(o, path, 'caCert', { max: 64 * 1024 });
  if (pem === undefined) return undefined;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('none');
    for (const b of blocks) new X509Certificate(b);
  } catch {
    return c.fail(`${path}.caCert`, 'caCert must be one or more PEM certificates');
  }
  return blocks.join('\n');
}

function vault(c: Check, config: Obj, auth: Obj | undefined): ProviderDefinition {
  c.only(config, 'config', ['address', 'mount', 'kvVersion', 'namespace', 'caCert']);
  const address = serviceUrl(c, config, 'config', 'address', true);
  const mount =
    c.str(config, 'config', 'mount', {
      max: 128,
      re: MOUNT_RE,
      hint: 'mount must be a path such as "secret" or "kv/team"',
    }) ?? 'secret';
  const kvVersion = config.kvVersion ?? 2;
  if (kvVersion !== 1 && kvVersion !== 2) c.fail('config.kvVersion', 'kvVersion must be 1 or 2');
  const namespace = c.str(config, 'config', 'namespace', {
    max: 256,
    re: MOUNT_RE,
    hint: 'namespace must be a path such as "team/a"',
  });
  const caCert = caBundle(c, config, 'config');
  const out: VaultConfig = {
    address: address ?? '',
    mount,
    kvVersion: kvVersion as 1 | 2,
    ...(namespace ? { namespace } : {}),
    ...(caCert ? { caCert } : {}),
  };
  return { type: 'vault', config: out, auth: auth ? vaultAuth(c, auth) : undefined };
}

function vaultAuth(c: Check, auth: Obj): VaultAuth | undefined {
  if (auth.method === 'token') {
    c.only(auth, 'auth', ['method', 'token']);
    const token = c.str(auth, 'auth', 'token', { required: true, max: 4096 });
    return token ? { method: 'token', token } : undefined;
  }
  if (auth.method === 'approle') {
    c.only(auth, 'auth', ['method', 'roleId', 'secretId', 'mount']);
    const roleId = c.str(auth, 'auth', 'roleId', { required: true, max: 512 });
    const secretId = c.str(auth, 'auth', 'secretId', { required: true, max: 4096 });
    const mount = c.str(auth, 'auth', 'mount', { max: 128, re: MOUNT_RE }) ?? 'approle';
    return roleId && secretId ? { method: 'approle', roleId, secretId, mount } : undefined;
  }
  return c.fail('auth.method', 'auth.method must be "token" or "approle"');
}

function aws(c: Check, config: Obj, auth: Obj | undefined): ProviderDefinition {
  c.only(config, 'config', ['region', 'endpoint', 'versionStage']);
  const region = c.str(config, 'config', 'region', {
    required: true,
    max: 32,
    re: REGION_RE,
    hint: 'region must look like "eu-west-1"',
  });
  const endpoint = serviceUrl(c, config, 'config', 'endpoint', false);
  const versionStage = c.str(config, 'config', 'versionStage', { max: 256, re: /^[A-Za-z0-9_-]+$/ });
  let creds: AwsAuth | undefined;
  if (auth) {
    c.only(auth, 'auth', ['accessKeyId', 'secretAccessKey', 'sessionToken']);
    const accessKeyId = c.str(auth, 'auth', 'accessKeyId', { required: true, max: 128, re: /^[A-Z0-9]{8,128}$/ });
    const secretAccessKey = c.str(auth, 'auth', 'secretAccessKey', { required: true, max: 256 });
    const sessionToken = c.str(auth, 'auth', 'sessionToken', { max: 4096 });
    if (accessKeyId && secretAccessKey)
      creds = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  return {
    type: 'aws',
    config: { region: region ?? '', ...(endpoint ? { endpoint } : {}), ...(versionStage ? { versionStage } : {}) },
    auth: creds,
  };
}

/**
 * Validates a `PUT /secret-providers/:name` body into a definition. Throws 400 `validation_failed` listing every
 * problem by path; messages never echo the submitted values.
 */
export function parseProviderDefinition(type: ProviderType, rawConfig: unknown, rawAuth: unknown): ProviderDefinition {
  const c = new Check();
  const config = isObj(rawConfig) ? rawConfig : (c.fail('config', 'config must be an object') ?? {});
  const auth =
    rawAuth === undefined || rawAuth === null
      ? undefined
      : isObj(rawAuth)
        ? rawAuth
        : (c.fail('auth', 'auth must be an object') ?? undefined);
  let def: ProviderDefinition;
  if (type === 'vault') def = vault(c, config, auth);
  else if (type === 'aws') def = aws(c, config, auth);
  else {
    c.only(config, 'config', []);
    if (auth) c.fail('auth', 'env providers take no credentials');
    def = { type: 'env', config: {} };
  }
  if (c.errors.length)
    throw new CommonException('validation_failed', 'The secret provider is invalid', { errors: c.errors });
  return def;
}

/** The non-secret description of stored credentials, for answers and audit entries. */
export function authSummary(type: ProviderType, auth: ProviderAuth | undefined): string {
  if (type === 'vault') return auth && 'method' in auth ? auth.method : 'none';
  if (type === 'aws') return auth ? 'static' : 'default_chain';
  return 'none';
}
