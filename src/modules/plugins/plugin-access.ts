import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '../../core/context/request-context.js';
import type { PolicyMeta } from '../../core/http/policies.js';
import { AccessHooks, type AuthorizeVeto, type RequestHookOutcome } from '../authorization/index.js';
import { PluginHost } from './plugin-host.js';

const CONTINUE: RequestHookOutcome = { kind: 'continue' };
/** Headers a request hook may not set: the credential was already checked, and these would only mislead. */
const PROTECTED_HEADERS = new Set([
  'authorization',
  'cookie',
  'x-csrf-token',
  'host',
  'content-length',
  'transfer-encoding',
]);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/**
 * The plugin API itself is never subject to plugin hooks: an org admin can always disable or reconfigure a plugin
 * that fails (fail closed would otherwise lock the org out of the one route that fixes it).
 */
const exempt = (req: Request) => req.path === '/api/v1/plugins' || req.path.startsWith('/api/v1/plugins/');

const principalOf = (p: Principal) => ({ type: p.type as 'user' | 'api_key' | 'embed', id: p.id });

function headersOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (!PROTECTED_HEADERS.has(k) && v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function stringMap(v: unknown): Record<string, string> | null {
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    const name = k.toLowerCase();
    if (typeof s !== 'string' || !HEADER_NAME.test(name) || /[\r\n]/.test(s)) return null;
    out[name] = s;
  }
  return out;
}

/** Reads one request hook's answer; anything not in the contract is a plugin error (fail closed). */
function readRequestResult(v: unknown): RequestHookOutcome | 'invalid' {
  if (v === undefined || v === null) return CONTINUE;
  const r = v as { action?: unknown; setHeaders?: unknown; status?: unknown; headers?: unknown; body?: unknown };
  if (r.action === 'continue') {
    const setHeaders = stringMap(r.setHeaders);
    if (!setHeaders || Object.keys(setHeaders).some((h) => PROTECTED_HEADERS.has(h))) return 'invalid';
    return { kind: 'continue', setHeaders };
  }
  if (
    r.action === 'answer' &&
    Number.isInteger(r.status) &&
    (r.status as number) >= 200 &&
    (r.status as number) <= 599
  ) {
    const headers = stringMap(r.headers);
    return headers
      ? {
          kind: 'answer',
          status: r.status as number,
          headers: { 'cache-control': 'no-store', ...headers },
          body: r.body,
        }
      : 'invalid';
  }
  return 'invalid';
}

/**
 * The plugins' `onRequest` and `onAuthorize`, plugged into the access guard. Both fail closed: a hook that throws,
 * blows its budget or answers outside the contract refuses the request. `onAuthorize` is asked only after the
 * built-in checks allowed, so no plugin can turn a built-in deny into an allow; any deny wins.
 */
@Injectable()
export class PluginAccess implements OnModuleInit {
  constructor(
    private readonly host: PluginHost,
    private readonly hooks: AccessHooks,
  ) {}

  onModuleInit(): void {
    if (this.host.has('onRequest') || this.host.has('onAuthorize')) {
      this.hooks.register({
        onRequest: (req, p) => this.onRequest(req, p),
        onAuthorize: (req, p, policy) => this.onAuthorize(req, p, policy),
      });
    }
  }

  async onRequest(req: Request, principal: Principal): Promise<RequestHookOutcome> {
    if (!principal.orgId || exempt(req)) return CONTINUE;
    const plugins = await this.host.active(principal.orgId, 'onRequest');
    const setHeaders: Record<string, string> = {};
    for (const plugin of plugins) {
      const request = {
        method: req.method,
        path: req.path,
        ip: req.ip ?? '',
        headers: { ...headersOf(req), ...setHeaders },
        query: { ...req.query },
      };
      const outcome = await this.host.call(plugin, 'onRequest', principal.orgId, {
        principal: principalOf(principal),
        request,
      });
      const result = outcome.ok ? readRequestResult(outcome.value) : 'invalid';
      if (result === 'invalid')
        return { kind: 'deny', reason: `plugin:${plugin.def.name}:${outcome.ok ? 'invalid_result' : outcome.failure}` };
      if (result.kind === 'answer') return result;
      if (result.kind === 'continue') Object.assign(setHeaders, result.setHeaders);
    }
    return { kind: 'continue', setHeaders };
  }

  async onAuthorize(req: Request, principal: Principal, policy: PolicyMeta): Promise<AuthorizeVeto | null> {
    if (!principal.orgId || exempt(req)) return null;
    const plugins = await this.host.active(principal.orgId, 'onAuthorize');
    const params = Object.fromEntries(Object.entries(req.params ?? {}).map(([k, v]) => [k, String(v)]));
    for (const plugin of plugins) {
      const ctx = {
        principal: principalOf(principal),
        action: policy.action,
        subject: String(policy.subject),
        request: { method: req.method, path: req.path, params },
      };
      const outcome = await this.host.call(plugin, 'onAuthorize', principal.orgId, ctx);
      if (!outcome.ok) return { by: plugin.def.name, reason: outcome.failure };
      const v = outcome.value as { decision?: unknown; reason?: unknown } | undefined;
      if (v === undefined || v === null || v.decision === 'allow' || v.decision === 'abstain') continue;
      if (v.decision === 'deny')
        return {
          by: plugin.def.name,
          reason: typeof v.reason === 'string' && /^[a-z0-9_]{1,64}$/.test(v.reason) ? v.reason : 'denied',
        };
      return { by: plugin.def.name, reason: 'invalid_result' };
    }
    return null;
  }
}
