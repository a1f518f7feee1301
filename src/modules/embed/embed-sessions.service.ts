import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../core/config/app-config.js';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { LOGGER } from '../../core/logging/logger.js';
import { RateLimitsService } from '../authorization/index.js';
import { SessionsService, UsersService } from '../identity/index.js';
import { OrgsService, ProjectsService } from '../tenancy/index.js';
import type { EmbedSessionResponseDto } from './dto/embed.dto.js';
import { EmbedKeysService } from './embed-keys.service.js';
import { EmbedException } from './embed.exception.js';
import { peek, TokenRefused, verifyEmbedToken, type EmbedClaims } from './embed-token.js';
import { JtiStore } from './jti-store.js';

const refused = () =>
  new EmbedException('embed_token_refused', 'The embed token was refused', {
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

/**
 * `POST /api/v1/embed/sessions`: a host-signed token becomes a short-lived bearer session for one external user in
 * one project. Every refusal is a 401 with no detail for the caller, an `embed.token_refused` audit entry with the
 * reason (in the org's chain when the token named a real org, otherwise the platform's), and nothing provisioned.
 * Refusals count against the client address like failed sign-ins.
 */
@Injectable()
export class EmbedSessionsService {
  private readonly ttlMs: number;

  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly orgs: OrgsService,
    private readonly projects: ProjectsService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly keys: EmbedKeysService,
    private readonly jtis: JtiStore,
    private readonly limits: RateLimitsService,
    config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.ttlMs = config.get('TENANTFLOW_EMBED_SESSION_TTL');
  }

  async open(token: string, ip: string): Promise<EmbedSessionResponseDto & { orgId: string }> {
    await this.limits.authFailures.assertNotBlocked(ip);
    let orgId: string | null = null;
    try {
      const { kid, iss } = peek(token);
      const org = await this.orgs.findByIdOrSlug(iss);
      if (!org) throw new TokenRefused('unknown_issuer');
      orgId = org.id;
      const key = await this.keys.byKid(org.id, kid);
      if (!key) throw new TokenRefused('unknown_kid');
      const claims = await verifyEmbedToken(token, key, [org.id, org.slug]);
      if (org.status !== 'active') throw new TokenRefused('org_suspended');
      if (!(await this.jtis.firstUse(org.id, claims.jti, new Date(claims.exp * 1000))))
        throw new TokenRefused('replayed');
      return { ...(await this.provision(org.id, claims, ip)), orgId: org.id };
    } catch (e) {
      if (!(e instanceof TokenRefused)) throw e;
      await this.limits.authFailures.penalize(ip);
      await this.audit(orgId, e.reason, ip);
      throw refused();
    }
  }

  /** The external user, the project and the session, in one transaction: all or nothing. */
  private provision(orgId: string, claims: EmbedClaims, ip: string): Promise<EmbedSessionResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const user = await this.users.provisionExternal(em, orgId, claims.sub);
      if (user.status !== 'active') throw new TokenRefused('user_inactive');
      const projectId = await this.projects.provisionExternal(em, orgId, claims.externalProjectId);
      const session = await this.sessions.openEmbedded(em, {
        orgId,
        userId: user.id,
        projectId,
        role: claims.role,
        ttlMs: this.ttlMs,
        ip,
      });
      await this.events.publish(em, {
        action: 'embed.session_opened',
        orgId,
        resourceType: 'embed_session',
        resourceId: session.sessionId,
        actor: { type: 'embed', id: user.id, displayName: claims.sub.slice(0, 200) },
        metadata: { projectId, externalProjectId: claims.externalProjectId, role: claims.role, ip },
      });
      return {
        token: session.token,
        expiresAt: session.expiresAt.toISOString(),
        projectId,
        userId: user.id,
        role: claims.role,
      };
    });
  }

  private async audit(orgId: string | null, reason: string, ip: string): Promise<void> {
    const event = {
      action: 'embed.token_refused',
      orgId,
      resourceType: 'embed_session',
      outcome: 'failure' as const,
      reason,
      metadata: { ip },
    };
    const write = orgId
      ? this.db.withOrg(orgId, (em) => this.events.publish(em, event))
      : this.db.withSystem((em) => this.events.publish(em, event));
    await write.catch((err: Error) => this.log.warn({ err: err.message }, 'could not record a refused embed token'));
  }
}
