import { Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { egressRefusalOf } from '../../../egress/index.js';
import { bindingHash, bindingMatches } from '../login/browser-binding.js';
import { SsoLoginFailure } from '../sso.exception.js';
import type { OidcSettings, SsoConfigRecord, VerifiedIdentity } from '../sso.types.js';
import { SsoStateStore } from '../state/sso-state.store.js';
import { fetchGithubIdentity } from './github-identity.js';
import { OidcClients, type OidcClient } from './oidc-clients.js';
import { oidcFailure } from './oidc-errors.js';

export const OIDC_FLOW_TTL_MS = 10 * 60_000;

type OidcConfig = SsoConfigRecord<OidcSettings> & { clientSecret: string };

/**
 * The authorization code flow: PKCE S256, `state` and `nonce` kept server-side (single use, per org) and bound to
 * the browser by a cookie whose hash the flow stores. The callback checks the binding before any code is redeemed.
 */
@Injectable()
export class OidcLoginService {
  constructor(
    private readonly clients: OidcClients,
    private readonly state: SsoStateStore,
  ) {}

  async start(cfg: OidcConfig, redirectUri: string, returnTo: string, binding: string): Promise<string> {
    const oc = await this.connect(cfg);
    const codeVerifier = client.randomPKCECodeVerifier();
    const flow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      bindingHash: bindingHash(binding),
      returnTo,
    };
    await this.state.saveOidcFlow(cfg.orgId, flow, OIDC_FLOW_TTL_MS);
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: cfg.settings.scopes.join(' '),
      state: flow.state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (!oc.githubApi) params.nonce = flow.nonce;
    return client.buildAuthorizationUrl(oc.config, params).href;
  }

  /** Validates the callback and returns the identity and where to go next; throws {@link SsoLoginFailure}. */
  async finish(
    cfg: OidcConfig,
    redirectUri: string,
    rawQuery: string,
    binding: string | undefined,
  ): Promise<{ identity: VerifiedIdentity; returnTo: string }> {
    const query = new URLSearchParams(rawQuery);
    const stateParam = query.get('state');
    if (!stateParam || query.getAll('state').length !== 1 || stateParam.length > 256)
      throw new SsoLoginFailure('state_mismatch', 'no single state parameter');
    const flow = await this.state.takeOidcFlow(cfg.orgId, stateParam);
    if (!flow) throw new SsoLoginFailure('state_mismatch', 'unknown, used or expired state');
    if (!bindingMatches(binding, flow.bindingHash))
      throw new SsoLoginFailure('state_mismatch', 'flow started in another browser');
    if (query.has('error'))
      throw new SsoLoginFailure('idp_error', `authorization error ${query.get('error')?.slice(0, 100)}`);
    const oc = await this.connect(cfg);
    const currentUrl = new URL(redirectUri);
    currentUrl.search = rawQuery;
    try {
      if (oc.githubApi) {
        const tokens = await client.authorizationCodeGrant(oc.config, currentUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
        });
        return { identity: await fetchGithubIdentity(oc, tokens.access_token), returnTo: flow.returnTo };
      }
      const tokens = await client.authorizationCodeGrant(oc.config, currentUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const userinfo = oc.config.serverMetadata().userinfo_endpoint
        ? await client.fetchUserInfo(oc.config, tokens.access_token, claims.sub)
        : {};
      return {
        identity: this.toIdentity(cfg.settings, oc, { ...claims, ...userinfo, sub: claims.sub }),
        returnTo: flow.returnTo,
      };
    } catch (err) {
      throw oidcFailure(err);
    }
  }

  private async connect(cfg: OidcConfig): Promise<OidcClient> {
    try {
      return await this.clients.forOrg(cfg);
    } catch (err) {
      const reason = egressRefusalOf(err) ? 'idp_address_forbidden' : 'idp_unavailable';
      throw new SsoLoginFailure(reason, `discovery failed: ${(err as Error).message?.slice(0, 200)}`);
    }
  }

  private toIdentity(s: OidcSettings, oc: OidcClient, claims: Record<string, unknown>): VerifiedIdentity {
    const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : null);
    const rawGroups = claims[s.groupsClaim];
    const groups = Array.isArray(rawGroups)
      ? rawGroups.filter((g): g is string => typeof g === 'string')
      : typeof rawGroups === 'string'
        ? [rawGroups]
        : [];
    const verified = claims.email_verified;
    return {
      provider: s.provider,
      issuer: oc.config.serverMetadata().issuer,
      subject: claims.sub as string,
      email: str(claims.email),
      // Only an explicit true counts (some providers send the string "true").
      emailVerified: verified === true || verified === 'true',
      displayName: str(claims.name) ?? str(claims.preferred_username),
      groups,
    };
  }
}
