import { Inject, Injectable, Optional } from '@nestjs/common';
import { Database } from '../../core/database/database.js';
import { EgressError, safeHttpRequest } from '../egress/index.js';
import { OrgsService } from '../tenancy/index.js';
import { ConnectionsRuntime, ConnectionUnavailableError } from './connections-runtime.js';
import { ConnectionsService } from './connections.service.js';
import type { HttpCall } from './oauth2/token-client.js';
import {
  CONNECTION_SECRET_RESOLVER,
  NO_SECRET_RESOLVER,
  SecretUnavailableError,
  type ConnectionSecretResolver,
} from './secret-resolver.port.js';

export interface ConnectionTestResult {
  ok: boolean;
  reason?: string;
}

/**
 * `POST /connections/:id/test`: authenticates against the connection's endpoint (`testUrl`, and for OAuth2 the token
 * URL) through the egress guard with the org's allowlist, and answers success or a reason from a fixed vocabulary.
 */
@Injectable()
export class ConnectionTesterService {
  constructor(
    private readonly db: Database,
    private readonly connections: ConnectionsService,
    private readonly runtime: ConnectionsRuntime,
    private readonly orgs: OrgsService,
    @Optional()
    @Inject(CONNECTION_SECRET_RESOLVER)
    private readonly resolver: ConnectionSecretResolver = NO_SECRET_RESOLVER,
  ) {}

  async test(orgId: string, id: string): Promise<ConnectionTestResult> {
    const row = await this.db.withOrg(orgId, (em) => this.connections.load(em, orgId, id, 'update'));
    const http = await this.httpFor(orgId);
    try {
      const auth = await this.runtime.apply(row, (ref) => this.resolver.resolve(orgId, ref), http);
      const testUrl = row.settings.testUrl as string | undefined;
      if (!testUrl) return row.type === 'oauth2' ? { ok: true } : { ok: false, reason: 'no_test_url' };
      const url = new URL(testUrl);
      for (const [k, v] of Object.entries(auth.query)) url.searchParams.append(k, v);
      const res = await http({
        method: 'GET',
        url,
        headers: auth.headers,
        timeoutMs: 10_000,
        maxResponseBytes: 64 * 1024,
      });
      return res.status < 400 ? { ok: true } : { ok: false, reason: `http_${res.status}` };
    } catch (e) {
      if (e instanceof ConnectionUnavailableError) return { ok: false, reason: e.code };
      if (e instanceof SecretUnavailableError) return { ok: false, reason: 'secret_unavailable' };
      if (e instanceof EgressError) return { ok: false, reason: e.reason };
      throw e;
    }
  }

  /** The egress-guarded client with the org's allowlist (org settings `egressAllowlist`). */
  async httpFor(orgId: string): Promise<HttpCall> {
    const settings = (await this.orgs.get(orgId)).settings ?? {};
    const allow = Array.isArray(settings.egressAllowlist)
      ? settings.egressAllowlist.filter((x): x is string => typeof x === 'string')
      : [];
    return (o) => safeHttpRequest({ ...o, allowlist: allow });
  }
}
