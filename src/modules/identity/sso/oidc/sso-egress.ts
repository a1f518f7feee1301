import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Database } from '../../../../core/database/database.js';
import { DomainEventBus } from '../../../../core/events/domain-events.js';
import { LOGGER } from '../../../../core/logging/logger.js';
import {
  assertEgressAllowed,
  createEgressFetch,
  type EgressFetch,
  egressRefusalOf,
  egressRefusedEvent,
} from '../../../egress/index.js';
import { OrgsService } from '../../../tenancy/index.js';

const TIMEOUT_MS = 10_000;
// Discovery documents, JWKS, token and user answers are small; a provider sending more is not one.
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Every outbound call SSO makes for an org (discovery, JWKS, token endpoint, userinfo, GitHub's API) goes through
 * the egress guard with the org's allowlist: checked when an admin saves the issuer, and again on every request
 * (the allowlist is read per request, so the platform operator's change applies at once). Refusals are audited.
 */
@Injectable()
export class SsoEgress {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly orgs: OrgsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** A fetch for openid-client (`customFetch`) bound to the org's egress policy. */
  fetchFor(orgId: string): EgressFetch {
    return createEgressFetch({
      allowlist: async () => (await this.orgs.platformSettings(orgId)).egressAllowlist,
      timeoutMs: TIMEOUT_MS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      onError: (error) => this.reportRefusal(orgId, error),
    });
  }

  /** Configuration-time check of a URL the server will call; throws the egress refusal (already audited). */
  async check(orgId: string, url: string): Promise<void> {
    try {
      await assertEgressAllowed(url, (await this.orgs.platformSettings(orgId)).egressAllowlist);
    } catch (error) {
      await this.reportRefusal(orgId, error);
      throw error;
    }
  }

  /** Records `egress.refused` when the error is a policy refusal; never fails the caller's own error path. */
  async reportRefusal(orgId: string, error: unknown): Promise<void> {
    const refusal = egressRefusalOf(error);
    if (!refusal) return;
    try {
      await this.db.withOrg(orgId, (em) =>
        this.events.publish(em, egressRefusedEvent(orgId, refusal, { source: 'oidc' })),
      );
    } catch (e) {
      this.log.error({ err: (e as Error).message, orgId }, 'could not record an egress refusal');
    }
  }
}
