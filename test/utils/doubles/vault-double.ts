import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for HashiCorp Vault that speaks its HTTP API as the real client uses it: KV v2
 * (`GET /v1/<mount>/data/<path>` → `{data: {data, metadata}}`) and KV v1 (`GET /v1/<mount>/<path>` → `{data}`),
 * `X-Vault-Token` and `X-Vault-Namespace`, AppRole login (`POST /v1/auth/<mount>/login`), token lookup-self and
 * renew-self, token TTLs that expire and renew, and Vault's error shape `{errors: [...]}` with 400, 403, 404 and 503.
 */
export interface VaultToken {
  id: string;
  namespace: string;
  /** Paths (`<mount>/...` prefixes) the token's policy allows reading; `*` allows everything. */
  policies: string[];
  ttlSeconds: number;
  expiresAt: number;
  renewable: boolean;
}

export interface RecordedVaultRequest {
  method: string;
  path: string;
  token?: string;
  namespace?: string;
}

interface Mount {
  version: 1 | 2;
  secrets: Map<string, Record<string, unknown>>;
}

export class VaultDouble {
  readonly requests: RecordedVaultRequest[] = [];
  /** namespace → mount path → mount. */
  private readonly mounts = new Map<string, Map<string, Mount>>();
  private readonly tokens = new Map<string, VaultToken>();
  private readonly approles = new Map<
    string,
    { secretId: string; namespace: string; policies: string[]; ttlSeconds: number; mount: string }
  >();
  sealed = false;
  /** Delay before every answer (slow-provider tests). */
  delayMs = 0;
  private server?: Server;
  url = '';

  /** Listens on loopback; with `tls` (PEM certificate and key) over https. */
  async start(tls?: { cert: string; key: string }): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = tls ? createTlsServer(tls, handler) : createServer(handler);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  mount(path: string, version: 1 | 2, namespace = ''): void {
    if (!this.mounts.has(namespace)) this.mounts.set(namespace, new Map());
    this.mounts.get(namespace)!.set(path, { version, secrets: new Map() });
  }

  put(mount: string, path: string, data: Record<string, unknown>, namespace = ''): void {
    this.mounts.get(namespace)!.get(mount)!.secrets.set(path, data);
  }

  addToken(opts: Partial<VaultToken> = {}): VaultToken {
    const ttl = opts.ttlSeconds ?? 0;
    const token: VaultToken = {
      id: opts.id ?? `hvs.${randomUUID().replace(/-/g, '')}`,
      namespace: opts.namespace ?? '',
      policies: opts.policies ?? ['*'],
      ttlSeconds: ttl,
      expiresAt: ttl > 0 ? Date.now() + ttl * 1000 : Infinity,
      renewable: opts.renewable ?? ttl > 0,
    };
    this.tokens.set(token.id, token);
    return token;
  }

  revoke(tokenId: string): void {
    this.tokens.delete(tokenId);
  }

  addAppRole(
    roleId: string,
    secretId: string,
    opts: { namespace?: string; policies?: string[]; ttlSeconds?: number; mount?: string } = {},
  ): void {
    this.approles.set(roleId, {
      secretId,
      namespace: opts.namespace ?? '',
      policies: opts.policies ?? ['*'],
      ttlSeconds: opts.ttlSeconds ?? 3600,
      mount: opts.mount ?? 'approle',
    });
  }

  count(pathPrefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const url = new URL(req.url ?? '/', 'http://vault');
    const token = header(req, 'x-vault-token');
    const namespace = (header(req, 'x-vault-namespace') ?? '').replace(/^\/+|\/+$/g, '');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, token, namespace: namespace || undefined });
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return send(res, 400, { errors: ['failed to parse JSON input'] });
    }
    if (this.sealed) return send(res, 503, { errors: ['Vault is sealed'] });
    if (!url.pathname.startsWith('/v1/')) return send(res, 404, { errors: [] });
    const path = url.pathname.slice(4);
    const login = /^auth\/(.+)\/login$/.exec(path);
    if (login && req.method === 'POST') return this.approleLogin(res, login[1], namespace, body);
    const caller = token ? this.tokens.get(token) : undefined;
    if (!caller || caller.expiresAt <= Date.now() || caller.namespace !== namespace)
      return send(res, 403, { errors: ['permission denied'] });
    if (path === 'auth/token/lookup-self' && req.method === 'GET')
      return send(res, 200, envelope({ data: lookup(caller) }));
    if (path === 'auth/token/renew-self' && (req.method === 'POST' || req.method === 'PUT'))
      return this.renew(res, caller, body);
    if (req.method !== 'GET') return send(res, 405, { errors: ['unsupported operation'] });
    return this.read(res, caller, namespace, path);
  }

  private approleLogin(res: ServerResponse, mount: string, namespace: string, body: Record<string, unknown>): void {
    const role = this.approles.get(String(body.role_id ?? ''));
    if (!role || role.mount !== mount || role.namespace !== namespace || role.secretId !== body.secret_id) {
      return send(res, 400, { errors: ['invalid role or secret ID'] });
    }
    const t = this.addToken({ namespace, policies: role.policies, ttlSeconds: role.ttlSeconds, renewable: true });
    send(
      res,
      200,
      envelope({
        auth: {
          client_token: t.id,
          accessor: randomUUID(),
          policies: ['default'],
          token_policies: ['default'],
          metadata: { role_name: 'app' },
          lease_duration: t.ttlSeconds,
          renewable: true,
          entity_id: randomUUID(),
          token_type: 'service',
          orphan: true,
        },
      }),
    );
  }

  private renew(res: ServerResponse, t: VaultToken, body: Record<string, unknown>): void {
    if (!t.renewable) return send(res, 400, { errors: ['lease is not renewable'] });
    const increment = typeof body.increment === 'number' ? body.increment : t.ttlSeconds;
    t.expiresAt = Date.now() + increment * 1000;
    send(
      res,
      200,
      envelope({
        auth: {
          client_token: t.id,
          accessor: randomUUID(),
          policies: ['default'],
          lease_duration: increment,
          renewable: true,
        },
      }),
    );
  }

  private read(res: ServerResponse, t: VaultToken, namespace: string, path: string): void {
    const mounts = this.mounts.get(namespace) ?? new Map<string, Mount>();
    const mountPath = [...mounts.keys()]
      .sort((a, b) => b.length - a.length)
      .find((m) => path === m || path.startsWith(`${m}/`));
    if (!mountPath) return send(res, 403, { errors: ['permission denied'] });
    if (!t.policies.includes('*') && !t.policies.some((p) => path.startsWith(p)))
      return send(res, 403, { errors: ['permission denied'] });
    const mount = mounts.get(mountPath)!;
    let rest = path.slice(mountPath.length + 1);
    if (mount.version === 2) {
      if (!rest.startsWith('data/')) return send(res, 404, { errors: [] });
      rest = rest.slice(5);
      const data = mount.secrets.get(rest);
      if (!data) return send(res, 404, { errors: [] });
      const metadata = {
        created_time: new Date().toISOString(),
        custom_metadata: null,
        deletion_time: '',
        destroyed: false,
        version: 1,
      };
      return send(res, 200, envelope({ data: { data, metadata } }));
    }
    const data = mount.secrets.get(rest);
    if (!data) return send(res, 404, { errors: [] });
    send(res, 200, envelope({ data, lease_duration: 2764800 }));
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function lookup(t: VaultToken): Record<string, unknown> {
  const ttl = t.expiresAt === Infinity ? 0 : Math.max(0, Math.round((t.expiresAt - Date.now()) / 1000));
  return {
    accessor: 'acc',
    creation_ttl: t.ttlSeconds,
    display_name: 'token',
    entity_id: '',
    expire_time: t.expiresAt === Infinity ? null : new Date(t.expiresAt).toISOString(),
    explicit_max_ttl: 0,
    id: t.id,
    namespace_path: t.namespace ? `${t.namespace}/` : '',
    policies: ['default'],
    renewable: t.renewable,
    ttl,
    type: 'service',
  };
}

function envelope(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: '',
    ...extra,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
