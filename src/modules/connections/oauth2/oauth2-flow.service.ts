import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { CommonException } from '../../../core/errors/app.exception.js';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from '../../../core/config/app-config.js';
import { KeyRing } from '../../../core/crypto/key-ring.js';
import { randomToken, safeEqual, UUID_RE, uuidv7 } from '../../../core/crypto/tokens.js';
import { Database } from '../../../core/database/database.js';
import { DomainEventBus } from '../../../core/events/domain-events.js';
import { OrgsService } from '../../tenancy/index.js';
import { ConnectionEntity } from '../connection.entity.js';
import { openSecrets } from '../connection-store.js';
import { ConnectionTesterService } from '../connection-tester.service.js';
import { ConnectionsException } from '../connections.exception.js';
import { ConnectionsService } from '../connections.service.js';
import { resolveReferences } from '../secret-refs.js';
import { OAuth2Tokens } from './oauth2-tokens.js';
import { requestToken, TokenRequestError } from './token-client.js';

export const OAUTH_BINDING_COOKIE = 'tenantflow_oauth2_binding';
const FLOW_TTL_MS = 10 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const flowFailed = (why: string) =>
  new ConnectionsException('oauth2_flow_invalid', `The authorization could not be completed (${why})`);
const verifierContext = (orgId: string, flowId: string) => ({
  orgId,
  table: 'connection_oauth_flow',
  rowId: flowId,
  field: 'verifier',
});

/**
 * OAuth2 authorization code with PKCE (S256) for `oauth2` connections. `start` records a flow (state hashed, the PKCE
 * verifier sealed, the browser bound by a random cookie whose hash is stored) and answers the connection's own
 * authorize URL; `finish` (the redirect URI) accepts the code only with a matching state and cookie, within 10
 * minutes and once, and exchanges it at the connection's token URL. The callback is the org's
 * `/auth/<orgSlug>/oauth2/callback` (public, like the SSO callbacks); the state also names the org.
 */
@Injectable()
export class OAuth2FlowService {
  constructor(
    private readonly db: Database,
    private readonly keys: KeyRing,
    private readonly config: AppConfig,
    private readonly adapter: HttpAdapterHost,
    private readonly events: DomainEventBus,
    private readonly connections: ConnectionsService,
    private readonly tester: ConnectionTesterService,
    private readonly tokens: OAuth2Tokens,
    private readonly orgs: OrgsService,
  ) {}

  /** The org's redirect URI (register it at the authorization server): `<public URL>/auth/<orgSlug>/oauth2/callback`. */
  redirectUri(orgSlug: string): string {
    const address = (this.adapter.httpAdapter?.getHttpServer() as Server | undefined)?.address();
    return `${this.config.publicUrl(address && typeof address === 'object' ? address.port : undefined)}/auth/${encodeURIComponent(orgSlug)}/oauth2/callback`;
  }

  /** `browser`: the caller's binding cookie value (reused) or a new one to set. */
  async start(orgId: string, connectionId: string, browser: string): Promise<{ authorizationUrl: string }> {
    const slug = (await this.orgs.get(orgId)).slug;
    return this.db.withOrg(orgId, async (em) => {
      const row = await this.connections.load(em, orgId, connectionId, 'update');
      if (row.type !== 'oauth2' || row.settings.grantType !== 'authorization_code') {
        throw new ConnectionsException(
          'oauth2_not_applicable',
          'Only oauth2 connections with the authorization_code grant are authorized by a browser',
        );
      }
      // Abandoned flows go when the org starts the next one.
      await em.query(`DELETE FROM connection_oauth_flow WHERE org_id = $1 AND expires_at < now()`, [orgId]);
      const id = uuidv7();
      const secret = randomToken(32);
      const verifier = randomToken(48);
      const redirectUri = this.redirectUri(slug);
      await em.query(
        `INSERT INTO connection_oauth_flow (id, org_id, connection_id, state_hash, browser_hash, verifier, redirect_uri, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          orgId,
          row.id,
          sha256(secret),
          sha256(browser),
          await this.keys.seal(verifierContext(orgId, id), verifier),
          redirectUri,
          new Date(Date.now() + FLOW_TTL_MS),
        ],
      );
      const resolve = (v: unknown) =>
        resolveReferences(String(v ?? ''), () =>
          Promise.reject(flowFailed('secret references are resolved only in runs')),
        );
      const url = new URL(await resolve(row.settings.authorizeUrl));
      const scopes = Array.isArray(row.settings.scopes) ? (row.settings.scopes as string[]).join(' ') : '';
      const params: Record<string, string> = {
        response_type: 'code',
        client_id: await resolve(row.settings.clientId),
        redirect_uri: redirectUri,
        state: `${orgId}.${secret}`,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      };
      if (scopes) params.scope = scopes;
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return { authorizationUrl: url.href };
    });
  }

  async finish(
    orgSlug: string,
    state: string | undefined,
    code: string | undefined,
    browser: string | undefined,
  ): Promise<{ connectionId: string }> {
    const org = await this.orgs.findBySlug(orgSlug);
    // A suspended org's routes answer as suspended, before anything of the request is looked at (as sign-in does).
    if (org && org.status !== 'active') throw new CommonException('org_suspended', 'This organization is suspended');
    const [orgId, secret] = (state ?? '').split('.');
    if (!orgId || !UUID_RE.test(orgId) || !secret || !code || code.length > 4096) throw flowFailed('invalid_request');
    if (!org || org.id !== orgId) throw flowFailed('unknown_state');
    const flow = await this.db.withOrg(orgId, async (em) => {
      // Single use: the flow is deleted whatever happens next.
      const [row] = (await em.query(
        `DELETE FROM connection_oauth_flow WHERE org_id = $1 AND state_hash = $2 RETURNING *`,
        [orgId, sha256(secret)],
      )) as unknown[][];
      return (row as unknown as Record<string, unknown>[] | undefined)?.[0] ?? null;
    });
    if (!flow) throw flowFailed('unknown_state');
    if (!browser || !safeEqual(sha256(browser), flow.browser_hash as Buffer)) throw flowFailed('browser_mismatch');
    if ((flow.expires_at as Date).getTime() < Date.now()) throw flowFailed('expired');
    const connectionId = flow.connection_id as string;
    const verifier = await this.keys.open(verifierContext(orgId, flow.id as string), flow.verifier as string);
    const row = await this.db.withOrg(orgId, (em) =>
      em.getRepository(ConnectionEntity).findOne({ where: { orgId, id: connectionId } }),
    );
    if (!row) throw flowFailed('connection_deleted');
    const stored = await openSecrets(this.keys, row);
    const noRefs = () => Promise.reject(flowFailed('secret references are resolved only in runs'));
    const client = {
      id: await resolveReferences(String(row.settings.clientId), noRefs),
      secret: await resolveReferences(stored.clientSecret ?? '', noRefs),
    };
    const http = await this.tester.httpFor(orgId);
    let res;
    try {
      res = await requestToken(http, row.settings.tokenUrl, client, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: flow.redirect_uri as string,
        code_verifier: verifier,
      });
    } catch (e) {
      if (e instanceof TokenRequestError) throw flowFailed(e.reason);
      throw e;
    }
    await this.db.withOrg(orgId, async (em) => {
      await this.tokens.store(em, row, res);
      await this.events.publish(em, {
        action: 'connection.updated',
        orgId,
        resourceType: 'connection',
        resourceId: connectionId,
        metadata: { oauth2: 'authorized', refreshable: !!res.refreshToken },
        sensitiveValues: [res.accessToken, ...(res.refreshToken ? [res.refreshToken] : [])],
      });
    });
    return { connectionId };
  }
}
