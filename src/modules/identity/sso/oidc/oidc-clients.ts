import { Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { AppConfig } from '../../../../core/config/app-config.js';
import { type EgressFetch, egressRefusalOf } from '../../../egress/index.js';
import { SsoException } from '../sso.exception.js';
import type { OidcSettings, SsoConfigRecord } from '../sso.types.js';
import { SsoEgress } from './sso-egress.js';

const CACHE_TTL_MS = 10 * 60_000;
const HTTP_TIMEOUT_SECONDS = 10;
const GITHUB = 'https://github.com';

export interface OidcClient {
  config: client.Configuration;
  /** GitHub's REST API base (plain OAuth2 preset); undefined for OpenID providers. */
  githubApi?: string;
}

/**
 * openid-client configurations per org: discovery for generic OIDC and Google, fixed endpoints for GitHub (plain
 * OAuth2). Cached per configuration version, so a saved change takes effect on the next sign-in on every instance.
 * Plain-http issuers are accepted only outside production (`allowInsecureRequests`). Every request goes out through
 * the org's egress guard (`customFetch`), never the global fetch.
 */
@Injectable()
export class OidcClients {
  private readonly cache = new Map<string, { version: string; client: OidcClient; at: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly egress: SsoEgress,
  ) {}

  async forOrg(rec: SsoConfigRecord<OidcSettings> & { clientSecret: string }): Promise<OidcClient> {
    const version = `${rec.id}:${rec.updatedAt.getTime()}`;
    const hit = this.cache.get(rec.orgId);
    if (hit && hit.version === version && Date.now() - hit.at < CACHE_TTL_MS) return hit.client;
    const built = await this.build(rec.orgId, rec.settings, rec.clientSecret);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(rec.orgId, { version, client: built, at: Date.now() });
    return built;
  }

  /** Admin save: the issuer must be an address the org may reach (checked on every save, before anything is stored). */
  async checkIssuer(orgId: string, settings: OidcSettings): Promise<void> {
    if (!settings.issuer) return;
    try {
      await this.egress.check(orgId, settings.issuer);
    } catch (err) {
      throw issuerForbidden(err);
    }
  }

  /** Admin "verify on save": discovery must answer with a matching issuer (GitHub has no discovery). */
  async verify(orgId: string, settings: OidcSettings, clientSecret: string): Promise<void> {
    try {
      await this.build(orgId, settings, clientSecret);
    } catch (err) {
      if (egressRefusalOf(err)) throw issuerForbidden(err);
      throw new SsoException(
        'oidc_discovery_failed',
        'The issuer discovery document could not be fetched or did not match the issuer',
      );
    }
  }

  private insecureAllowed(url: string): boolean {
    return !this.config.isProduction && url.startsWith('http:');
  }

  private async build(orgId: string, s: OidcSettings, secret: string): Promise<OidcClient> {
    const fetch = this.egress.fetchFor(orgId);
    if (s.provider === 'github') return this.github(s, secret, fetch);
    const issuer = new URL(s.issuer!);
    const execute = this.insecureAllowed(issuer.href) ? [client.allowInsecureRequests] : [];
    const discovered = await client.discovery(issuer, s.clientId, undefined, undefined, {
      execute,
      timeout: HTTP_TIMEOUT_SECONDS,
      [client.customFetch]: fetch as client.CustomFetch,
    });
    const server = discovered.serverMetadata();
    // Prefer HTTP Basic (the registration default), fall back to the body when the provider does not list it.
    const methods = server.token_endpoint_auth_methods_supported;
    const auth =
      !methods || methods.includes('client_secret_basic')
        ? client.ClientSecretBasic(secret)
        : client.ClientSecretPost(secret);
    const config = new client.Configuration(server, s.clientId, { client_secret: secret }, auth);
    config.timeout = HTTP_TIMEOUT_SECONDS;
    config[client.customFetch] = fetch as client.CustomFetch;
    for (const fn of execute) fn(config);
    return { config };
  }

  private github(s: OidcSettings, secret: string, fetch: EgressFetch): OidcClient {
    const base = s.issuer ?? GITHUB;
    const server: client.ServerMetadata = {
      issuer: base,
      authorization_endpoint: `${base}/login/oauth/authorize`,
      token_endpoint: `${base}/login/oauth/access_token`,
    };
    const config = new client.Configuration(server, s.clientId, secret, client.ClientSecretPost(secret));
    config.timeout = HTTP_TIMEOUT_SECONDS;
    config[client.customFetch] = githubTokenErrors(server.token_endpoint!, fetch);
    if (this.insecureAllowed(base)) client.allowInsecureRequests(config);
    // github.com serves its API on its own host; GitHub Enterprise Server under /api/v3.
    return { config, githubApi: base === GITHUB ? 'https://api.github.com' : `${base}/api/v3` };
  }
}

/**
 * GitHub answers token-endpoint errors (a bad or reused code) with HTTP 200 and an `error` body; re-issue them as
 * the 400 OAuth 2.0 specifies, so they surface as the provider refusing the code.
 */
function githubTokenErrors(tokenEndpoint: string, fetch: EgressFetch): client.CustomFetch {
  return async (url, options) => {
    const res = await fetch(url, options as Parameters<EgressFetch>[1]);
    if (url !== tokenEndpoint || res.status !== 200) return res;
    const text = await res.text();
    let error = false;
    try {
      error = typeof (JSON.parse(text) as { error?: unknown }).error === 'string';
    } catch {
      // not JSON: let the client report it
    }
    return new Response(text, { status: error ? 400 : 200, headers: res.headers });
  };
}

function issuerForbidden(err: unknown): SsoException {
  const detail = err instanceof Error ? err.message : '';
  return new SsoException(
    'oidc_issuer_forbidden',
    `The issuer is not reachable under this organization's egress policy. ${detail}`.trim(),
  );
}
