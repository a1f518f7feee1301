import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Database } from '../../../../core/database/database.js';
import { DomainEventBus } from '../../../../core/events/domain-events.js';
import { LOGGER } from '../../../../core/logging/logger.js';
import { SsoAccountRefusal, SsoAccountsService } from '../accounts/sso-accounts.service.js';
import { SsoSessionIssuer, type OpenedSsoSession } from '../accounts/identity-ports.js';
import { SsoLoginFailure } from '../sso.exception.js';
import type { AccountRules, SsoProvider, VerifiedIdentity } from '../sso.types.js';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

/**
 * The last step of every protocol: account resolution, the session and the `auth.login` success event in one
 * tenant transaction (all or nothing); failures are recorded in a transaction of their own.
 */
@Injectable()
export class SsoSignInService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly accounts: SsoAccountsService,
    private readonly sessions: SsoSessionIssuer,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async complete(
    orgId: string,
    identity: VerifiedIdentity,
    rules: AccountRules,
    client: ClientInfo,
  ): Promise<OpenedSsoSession> {
    const method = identity.provider === 'saml' ? 'saml' : 'oidc';
    try {
      return await this.db.withOrg(orgId, async (em) => {
        const user = await this.accounts.resolve(em, orgId, identity, rules);
        const session = await this.sessions.open({
          orgId,
          userId: user.id,
          method,
          ip: client.ip,
          userAgent: client.userAgent,
        });
        // The user is not the request's principal yet: name them as the actor (not `system`).
        await this.events.publish(em, {
          action: 'auth.login',
          orgId,
          resourceType: 'user',
          resourceId: user.id,
          outcome: 'success',
          actor: { type: 'user', id: user.id, displayName: user.email },
          metadata: { provider: identity.provider, method, ip: client.ip ?? null, userAgent: client.userAgent ?? null },
        });
        return session;
      });
    } catch (err) {
      // A user the IdP no longer grants access loses the sessions it still has.
      if (err instanceof SsoAccountRefusal) {
        await this.sessions
          .revokeForUser(orgId, err.userId)
          .catch((e: Error) => this.log.warn({ err: e.message }, 'could not revoke sessions'));
      }
      throw err;
    }
  }

  /** Records a refused sign-in for a known org (`auth.login`, outcome failure, with the reason code). */
  async recordFailure(
    orgId: string,
    provider: SsoProvider,
    failure: SsoLoginFailure,
    client: ClientInfo,
  ): Promise<void> {
    this.log.info({ orgId, provider, reason: failure.reason, detail: failure.internal }, 'sso sign-in refused');
    await this.db
      .withOrg(orgId, (em) =>
        this.events.publish(em, {
          action: 'auth.login',
          orgId,
          resourceType: 'sso',
          resourceId: null,
          outcome: 'failure',
          reason: failure.reason,
          metadata: { provider, ip: client.ip ?? null, userAgent: client.userAgent ?? null },
        }),
      )
      .catch((e: Error) => this.log.warn({ err: e.message }, 'could not record failed sign-in'));
  }
}
