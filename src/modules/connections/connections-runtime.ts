import { Injectable } from '@nestjs/common';
import { KeyRing } from '../../core/crypto/key-ring.js';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import type { EntityManager } from 'typeorm';
import type { ConnectionEntity } from './connection.entity.js';
import { findUsable, openSecrets } from './connection-store.js';
import { OAuth2Tokens } from './oauth2/oauth2-tokens.js';
import type { HttpCall } from './oauth2/token-client.js';
import { TokenRequestError } from './oauth2/token-client.js';
import { resolveReferences, type ResolveSecret } from './secret-refs.js';

/** What a connection adds to an outgoing request, and every secret value involved (for the run's redaction). */
export interface ConnectionAuth {
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Resolved secrets and the encoded forms they travel in: the caller redacts them from everything it records. */
  secrets: string[];
}

export type ConnectionErrorCode = 'connection_not_found' | 'connection_not_authorized' | 'token_request_failed';

/** Why a connection cannot authenticate a request. Never carries a secret. */
export class ConnectionUnavailableError extends Error {
  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(`${code}: ${message}`);
  }
}

const notFound = () =>
  new ConnectionUnavailableError(
    'connection_not_found',
    'the connection does not exist or is not available to this flow',
  );

/**
 * Applies connections at execution time. A connection is usable by a flow when it belongs to the flow's project or
 * is an org connection offered to it; anything else (another project's, another org's, a deleted one) answers the
 * same `connection_not_found`.
 */
@Injectable()
export class ConnectionsRuntime {
  constructor(
    private readonly db: Database,
    private readonly keys: KeyRing,
    private readonly tokens: OAuth2Tokens,
  ) {}

  /**
   * Headers and query parameters that authenticate a request with the connection. Secret references in its fields
   * are resolved through `resolve` (the engine's resolver); `http` is the caller's egress-guarded client, used for
   * OAuth2 token requests to the connection's own token URL.
   */
  async authFor(
    orgId: string,
    projectId: string,
    connectionId: string,
    resolve: ResolveSecret,
    http: HttpCall,
  ): Promise<ConnectionAuth> {
    if (!UUID_RE.test(connectionId) || !UUID_RE.test(projectId)) throw notFound();
    const row = await this.db.withOrg(orgId, (em) => findUsable(em, orgId, projectId, connectionId));
    if (!row) throw notFound();
    return this.apply(row, resolve, http);
  }

  /** The same for a connection already loaded (the test route). */
  async apply(row: ConnectionEntity, resolve: ResolveSecret, http: HttpCall): Promise<ConnectionAuth> {
    const out: ConnectionAuth = { headers: {}, query: {}, secrets: [] };
    const stored = await openSecrets(this.keys, row);
    const secret = async (v: string | undefined) => {
      const value = await resolveReferences(v ?? '', resolve);
      out.secrets.push(value, encodeURIComponent(value));
      return value;
    };
    const plain = (v: unknown) => resolveReferences(String(v ?? ''), resolve);
    const s = row.settings;
    switch (row.type) {
      case 'api_key':
        (s.in === 'query' ? out.query : out.headers)[s.name] = await secret(stored.value);
        break;
      case 'basic': {
        const encoded = Buffer.from(`${await plain(s.username)}:${await secret(stored.password)}`).toString('base64');
        out.headers.authorization = `Basic ${encoded}`;
        out.secrets.push(encoded);
        break;
      }
      case 'bearer':
        out.headers.authorization = `Bearer ${await secret(stored.token)}`;
        break;
      case 'oauth2': {
        const token = await this.oauthToken(row, stored, secret, plain, http);
        out.secrets.push(token);
        out.headers.authorization = `Bearer ${token}`;
        break;
      }
      case 'custom':
        for (const [name, f] of Object.entries(
          (s.fields ?? {}) as Record<string, { secret: boolean; in?: string; value?: string }>,
        )) {
          const value = f.secret ? await secret(stored[`fields.${name}`]) : await plain(f.value);
          (f.in === 'query' ? out.query : out.headers)[name] = value;
        }
        break;
    }
    return out;
  }

  private async oauthToken(
    row: ConnectionEntity,
    stored: Record<string, string>,
    secret: (v?: string) => Promise<string>,
    plain: (v: unknown) => Promise<string>,
    http: HttpCall,
  ): Promise<string> {
    try {
      const client = { id: await plain(row.settings.clientId), secret: await secret(stored.clientSecret) };
      return await this.tokens.accessToken(row, client, http);
    } catch (e) {
      if (e instanceof TokenRequestError && e.reason === 'not_authorized') {
        throw new ConnectionUnavailableError(
          'connection_not_authorized',
          'the account is not connected yet (authorization code flow)',
        );
      }
      if (e instanceof TokenRequestError)
        throw new ConnectionUnavailableError('token_request_failed', e.message, e.retryable);
      throw e;
    }
  }

  /**
   * The publish-time check the flows module runs: every referenced connection must be usable by the flow's project.
   * Returns `{path, message}` issues (the same message whether the connection exists elsewhere or not).
   */
  async checkReferences(
    em: EntityManager,
    scope: { orgId: string; projectId: string },
    refs: { connectionId: string; path: string }[],
  ): Promise<{ path: string; message: string }[]> {
    const issues: { path: string; message: string }[] = [];
    for (const ref of refs) {
      const usable =
        UUID_RE.test(ref.connectionId) && (await findUsable(em, scope.orgId, scope.projectId, ref.connectionId));
      if (!usable)
        issues.push({
          path: ref.path,
          message: 'connection_not_found: no such connection is available to this project',
        });
    }
    return issues;
  }
}
