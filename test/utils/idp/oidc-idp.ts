import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface OidcAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export interface OidcClientRegistration {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/**
 * A real OpenID Provider (`oidc-provider`) on loopback for tests. Login interactions complete automatically as
 * `nextAccount`; consent is implied for the scopes asked. PKCE is required for every client.
 */
export class TestOidcIdp {
  issuer = '';
  nextAccount = 'alice';
  /** Every request path the provider received, in order (tests prove what the server did or did not fetch). */
  readonly seen: string[] = [];
  readonly accounts = new Map<string, OidcAccount>();
  private server?: Server;
  private provider: any;

  /** `host`: the name in the issuer URL ("localhost" makes the IdP another site than the app at 127.0.0.1). */
  /**
   * `opts.refreshTokens`: issue refresh tokens (and accept the refresh_token grant), as an OAuth2 API would for
   * connections; `opts.accessTokenTtl` in seconds. `tokenRequests` counts calls to the token endpoint.
   */
  tokenRequests = 0;

  async start(
    clients: OidcClientRegistration[],
    host = '127.0.0.1',
    opts: { refreshTokens?: boolean; accessTokenTtl?: number } = {},
  ): Promise<this> {
    this.server = createServer();
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const accounts = this.accounts;
    this.provider = new Provider(this.issuer, {
      clients: clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: [c.redirectUri],
        grant_types: opts.refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      ...(opts.refreshTokens ? { issueRefreshToken: async () => true, rotateRefreshToken: false } : {}),
      ...(opts.accessTokenTtl ? { ttl: { AccessToken: opts.accessTokenTtl } } : {}),
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
      cookies: { keys: ['tenantflow-test-idp-cookie-key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx: unknown, sub: string) => {
        const account = accounts.get(sub);
        return account ? { accountId: sub, claims: async () => ({ sub, ...account }) } : undefined;
      },
      // Consent is implied: the grant covers whatever the client asked for.
      loadExistingGrant: async (ctx: {
        oidc: { client: { clientId: string }; session: { accountId: string }; params: { scope: string } } & Record<
          string,
          unknown
        >;
      }) => {
        const grant = new (this.provider.Grant as any)({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope(ctx.oidc.params.scope);
        await grant.save();
        return grant;
      },
    });
    const callback = this.provider.callback();
    this.server.on('request', (req, res) => {
      this.seen.push(req.url ?? '');
      if (req.url?.startsWith('/token')) this.tokenRequests += 1;
      if (req.url?.startsWith('/interaction/')) {
        void this.login(req, res).catch(() => res.writeHead(500).end());
        return;
      }
      callback(req, res);
    });
    return this;
  }

  private async login(req: any, res: any): Promise<void> {
    await this.provider.interactionDetails(req, res);
    await this.provider.interactionFinished(
      req,
      res,
      { login: { accountId: this.nextAccount } },
      { mergeWithLastSubmission: false },
    );
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
