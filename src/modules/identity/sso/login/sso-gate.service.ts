import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppConfig } from '../../../../core/config/app-config.js';
import { AppException } from '../../../../core/errors/app.exception.js';
import { Limiter, refusalCounter } from '../../../../core/http/rate-limit.js';
import { LOGGER } from '../../../../core/logging/logger.js';
import { Metrics } from '../../../../core/metrics/metrics.js';
import { RedisHolder } from '../../../../core/redis/redis.js';
import { OrgsService, type OrganizationEntity } from '../../../tenancy/index.js';
import { SsoLoginFailure } from '../sso.exception.js';
import type { SsoProvider } from '../sso.types.js';
import { SsoUrls, type OrgSsoUrls } from '../sso-urls.js';
import { SsoSignInService, type ClientInfo } from './sso-sign-in.service.js';
import { sendLoginFailure } from './sso-responder.js';

const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface FlowContext {
  org: OrganizationEntity;
  urls: OrgSsoUrls;
  client: ClientInfo;
  /** Recorded on failure events; a flow narrows it once it knows the preset (google, github). */
  provider: SsoProvider;
}

/**
 * The common frame of every public sign-in route: failed-authentication rate limit per client address, the org
 * from the URL slug (system lookup; unknown, suspended and unconfigured answer alike where it matters), and one
 * place where refusals become events and responses.
 */
@Injectable()
export class SsoGate {
  private readonly failures: Limiter;

  constructor(
    config: AppConfig,
    redis: RedisHolder,
    private readonly orgs: OrgsService,
    private readonly urls: SsoUrls,
    private readonly signIn: SsoSignInService,
    @Inject(LOGGER) private readonly log: Logger,
    metrics: Metrics,
  ) {
    // The API's failed-authentication budget, counted apart (same in memory and in Redis): a burst of refused
    // sign-ins from an address does not lock that address out of API-key access (break-glass), nor the reverse.
    const limit = config.get('TENANTFLOW_AUTH_FAILURE_LIMIT');
    this.failures = new Limiter('ssofail', limit, 60, redis.client, refusalCounter(metrics, 'ssofail'));
  }

  /** `limited: false` for routes that are not sign-in attempts (SP metadata). */
  async run(
    req: Request,
    res: Response,
    slug: string,
    provider: SsoProvider,
    flow: (ctx: FlowContext) => Promise<void>,
    limited = true,
  ): Promise<void> {
    const client: ClientInfo = { ip: req.ip, userAgent: req.headers['user-agent']?.slice(0, 500) };
    let ctx: FlowContext | undefined;
    try {
      if (limited) {
        await this.failures.assertNotBlocked(req.ip ?? 'unknown').catch((e: unknown) => {
          // A spent budget is the sign-in's own 429; a limit store that cannot answer stays a 503 problem.
          throw e instanceof AppException && e.code === 'rate_limited'
            ? new SsoLoginFailure('rate_limited', undefined, e.extra.headers ?? {})
            : e;
        });
      }
      const org = await this.resolveOrg(slug);
      ctx = { org, urls: this.urls.forOrg(org.slug), client, provider };
      if (org.status !== 'active') throw new SsoLoginFailure('org_suspended');
      await flow(ctx);
    } catch (err) {
      if (!(err instanceof SsoLoginFailure)) throw err;
      if (limited && (err.status === 401 || err.status === 403)) await this.failures.penalize(req.ip ?? 'unknown');
      if (ctx && limited) await this.signIn.recordFailure(ctx.org.id, ctx.provider, err, client);
      else this.log.info({ reason: err.reason }, 'sso sign-in refused before an org was known');
      sendLoginFailure(req, res, err, err.headers);
    }
  }

  /** The public SSO URLs a well-formed slug would have (whether or not such an org exists), or null. */
  urlsForSlug(slug: string): OrgSsoUrls | null {
    return SLUG_RE.test(slug) ? this.urls.forOrg(slug) : null;
  }

  /** The org named by the URL, or the same 404 as "no SSO here" (no slug oracle). */
  async resolveOrg(slug: string): Promise<OrganizationEntity> {
    const org = SLUG_RE.test(slug) ? await this.orgs.findBySlug(slug) : null;
    if (!org) throw new SsoLoginFailure('sso_not_available', 'unknown org');
    return org;
  }
}
