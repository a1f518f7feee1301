import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../../../../core/config/app-config.js';
import { SsoSessionIssuer } from '../accounts/identity-ports.js';
import { SsoConfigService } from '../config/sso-config.service.js';
import { bindBrowser } from '../login/browser-binding.js';
import { isSafeReturnTo } from '../login/return-to.js';
import { finishSignIn } from '../login/session-cookie.js';
import { SsoGate, type FlowContext } from '../login/sso-gate.service.js';
import { readCookie } from '../../sessions/session-cookie.js';
import { SsoSignInService } from '../login/sso-sign-in.service.js';
import { SecretBoxError } from '../../../../core/crypto/secret-box.js';
import { SsoLoginFailure } from '../sso.exception.js';
import { OIDC_FLOW_TTL_MS, OidcLoginService } from './oidc-login.service.js';

/** Browser binding of OIDC flows; SameSite=Lax is sent on the IdP's top-level redirect back to the callback. */
export const OIDC_BINDING_COOKIE = 'tenantflow_sso_binding';

/** The browser-facing OIDC / OAuth2 routes, one method per route. */
@Injectable()
export class OidcFlowService {
  constructor(
    private readonly config: AppConfig,
    private readonly gate: SsoGate,
    private readonly configs: SsoConfigService,
    private readonly oidc: OidcLoginService,
    private readonly signIn: SsoSignInService,
    private readonly sessions: SsoSessionIssuer,
  ) {}

  private async enabledConfig(ctx: FlowContext) {
    const cfg = await this.configs.loadOidc(ctx.org.id).catch((e: unknown) => {
      // A client secret sealed under a key no longer in the ring: an operator problem, not the browser's.
      if (e instanceof SecretBoxError)
        throw new SsoLoginFailure('sso_not_available', 'client secret cannot be opened (encryption key changed?)');
      throw e;
    });
    if (!cfg?.enabled) throw new SsoLoginFailure('sso_not_available', 'oidc not enabled');
    ctx.provider = cfg.settings.provider;
    return cfg;
  }

  login(slug: string, req: Request, res: Response): Promise<void> {
    return this.gate.run(req, res, slug, 'oidc', async (ctx) => {
      const returnTo = req.query.returnTo ?? '/';
      if (!isSafeReturnTo(returnTo)) throw new SsoLoginFailure('invalid_return_to');
      const cfg = await this.enabledConfig(ctx);
      const binding = bindBrowser(req, res, this.config, {
        name: OIDC_BINDING_COOKIE,
        path: `/auth/${ctx.org.slug}/oidc`,
        maxAgeMs: OIDC_FLOW_TTL_MS,
        crossSitePost: false,
      });
      const url = await this.oidc.start(cfg, ctx.urls.oidcRedirectUri, returnTo, binding);
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(302, url);
    });
  }

  callback(slug: string, req: Request, res: Response): Promise<void> {
    return this.gate.run(req, res, slug, 'oidc', async (ctx) => {
      const cfg = await this.enabledConfig(ctx);
      const rawQuery = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
      const { identity, returnTo } = await this.oidc.finish(
        cfg,
        ctx.urls.oidcRedirectUri,
        rawQuery,
        readCookie(req, OIDC_BINDING_COOKIE),
      );
      const session = await this.signIn.complete(ctx.org.id, identity, cfg.settings, ctx.client);
      finishSignIn(res, this.sessions, session, returnTo);
    });
  }
}
