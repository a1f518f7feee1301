import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SsoSessionIssuer } from '../accounts/identity-ports.js';
import { SsoConfigService } from '../config/sso-config.service.js';
import { AppConfig } from '../../../../core/config/app-config.js';
import { bindBrowser } from '../login/browser-binding.js';
import { isSafeReturnTo } from '../login/return-to.js';
import { finishSignIn } from '../login/session-cookie.js';
import { SsoGate, type FlowContext } from '../login/sso-gate.service.js';
import { sendLoginFailure } from '../login/sso-responder.js';
import { readCookie } from '../../sessions/session-cookie.js';
import { SsoSignInService } from '../login/sso-sign-in.service.js';
import { SsoLoginFailure } from '../sso.exception.js';
import type { SamlSettings, SsoConfigRecord } from '../sso.types.js';
import { SamlLoginService } from './saml-login.service.js';
import { SAML_REQUEST_TTL_MS } from './saml-strategy.js';

/** Browser binding of SAML logins: the ACS accepts a solicited response only from the browser that started it. */
export const SAML_BINDING_COOKIE = 'tenantflow_saml_binding';

/** Well below the global 1 MiB body limit: a real SAML response is a few KiB. */
export const ACS_MAX_BYTES = 256 * 1024;

/** The browser-facing SAML routes, one method per route. */
@Injectable()
export class SamlFlowService {
  constructor(
    private readonly config: AppConfig,
    private readonly gate: SsoGate,
    private readonly configs: SsoConfigService,
    private readonly saml: SamlLoginService,
    private readonly signIn: SsoSignInService,
    private readonly sessions: SsoSessionIssuer,
  ) {}

  private async enabledConfig(ctx: FlowContext): Promise<SsoConfigRecord<SamlSettings>> {
    const cfg = await this.configs.loadSaml(ctx.org.id);
    if (!cfg?.enabled) throw new SsoLoginFailure('sso_not_available', 'saml not enabled');
    return cfg;
  }

  /**
   * The SP metadata is a template of the slug and the public URL, with nothing of the org in it, so every well-formed
   * slug gets it (an admin can register the SP at the IdP before configuring SAML): an unknown org, a suspended org
   * and one without SAML answer exactly alike, and the route tells nobody which slugs exist.
   */
  metadata(slug: string, req: Request, res: Response): Promise<void> {
    const urls = this.gate.urlsForSlug(slug);
    if (!urls) sendLoginFailure(req, res, new SsoLoginFailure('sso_not_available', 'malformed slug'));
    else res.type('application/samlmetadata+xml').send(this.saml.metadata(urls));
    return Promise.resolve();
  }

  login(slug: string, req: Request, res: Response): Promise<void> {
    return this.gate.run(req, res, slug, 'saml', async (ctx) => {
      const returnTo = req.query.returnTo ?? '/';
      if (!isSafeReturnTo(returnTo)) throw new SsoLoginFailure('invalid_return_to');
      const cfg = await this.enabledConfig(ctx);
      // The IdP's answer is a cross-site form POST: SameSite=None (and Secure) on https deployments.
      const binding = bindBrowser(req, res, this.config, {
        name: SAML_BINDING_COOKIE,
        path: `/auth/${ctx.org.slug}/saml`,
        maxAgeMs: SAML_REQUEST_TTL_MS,
        crossSitePost: true,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(302, await this.saml.loginUrl(cfg, ctx.urls, returnTo, binding));
    });
  }

  acs(slug: string, req: Request, res: Response): Promise<void> {
    return this.gate.run(req, res, slug, 'saml', async (ctx) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const { SAMLResponse: samlResponse, RelayState: relayState } = body;
      if (
        Number(req.headers['content-length'] ?? 0) > ACS_MAX_BYTES ||
        (typeof samlResponse === 'string' && samlResponse.length > ACS_MAX_BYTES)
      ) {
        throw new SsoLoginFailure('payload_too_large');
      }
      // The HTTP-POST binding is a form post; anything else (JSON, multipart) is not a SAML message.
      if (
        !req.is('application/x-www-form-urlencoded') ||
        typeof samlResponse !== 'string' ||
        !samlResponse ||
        (relayState !== undefined && typeof relayState !== 'string')
      ) {
        throw new SsoLoginFailure('invalid_request', 'no SAMLResponse form field');
      }
      const cfg = await this.enabledConfig(ctx);
      const { identity, returnTo } = await this.saml.acs(
        cfg,
        ctx.urls,
        samlResponse,
        relayState as string | undefined,
        readCookie(req, SAML_BINDING_COOKIE),
      );
      const session = await this.signIn.complete(ctx.org.id, identity, cfg.settings, ctx.client);
      finishSignIn(res, this.sessions, session, returnTo);
    });
  }
}
