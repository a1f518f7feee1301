import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { RequestContextStore, type Principal } from '../../core/context/request-context.js';
import { safeEqual } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { CommonException } from '../../core/errors/app.exception.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import { LOGGER } from '../../core/logging/logger.js';
import { assertSingleHeader } from '../../core/http/headers.js';
import {
  CredentialsService,
  readSessionCookie,
  type AuthFailure,
  type AuthResult,
  type KeyAuthority,
} from '../identity/index.js';
import { DenialRecorder } from './denials.js';
import { RateLimitsService } from './rate-limits.service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Failures that may be guessing: an unknown, malformed, wrong, revoked or expired credential. A valid credential
 * refused for its state (suspended org, inactive user or creator, creator's rights) is not an attempt to guess and
 * must not lock a shared address (NAT, proxy) out, least of all the request that would lift a suspension.
 */
const COUNTED_FAILURES = new Set<AuthFailure['reason']>([
  'malformed',
  'unknown',
  'bad_secret',
  'revoked',
  'expired',
  'idle',
]);

/**
 * The failure budget a request draws on: platform-key attempts have their own per address, so no org principal's
 * failures can lock the platform operator out (and platform-key guessing is still limited).
 */
function failureBucket(req: Request): string {
  // The address the request context resolved already (the same trust-proxy resolution, done once per request).
  const ip = RequestContextStore.get()?.ip ?? req.ip ?? 'unknown';
  return /^Bearer\s+tfp_/.test(req.headers.authorization ?? '') ? `platform:${ip}` : ip;
}

export const unauthenticated = (): CommonException =>
  new CommonException('unauthenticated', 'A valid credential is required', {
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

export interface Authenticated {
  principal: Principal;
  authority?: KeyAuthority;
  /** The session cookie's value, for cookie sessions (logout ends exactly this session). */
  sessionToken?: string;
}

/**
 * Turns a request's credential into a principal: `Authorization: Bearer` (API or platform key) wins; otherwise the
 * session cookie, which on unsafe methods also needs a matching `X-CSRF-Token`. Guessing-like failures count against
 * the client address (429 once the limit is spent; platform keys on their own budget) and failed key uses are audited.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly limits: RateLimitsService,
    private readonly db: Database,
    private readonly events: DomainEventBus,
    private readonly denials: DenialRecorder,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async authenticate(req: Request): Promise<Authenticated> {
    assertSingleHeader(req, 'authorization');
    const header = req.headers.authorization;
    const cookie = header ? undefined : readSessionCookie(req);
    if (!header && !cookie) throw unauthenticated();
    const bucket = failureBucket(req);
    await this.limits.authFailures.assertNotBlocked(bucket);
    let result: AuthResult;
    if (header) {
      const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
      result = token ? await this.credentials.authenticate(token) : { ok: false, reason: 'malformed' };
    } else {
      result = await this.credentials.authenticateSession(cookie!);
    }
    if (!result.ok) return this.fail(bucket, result);
    if (cookie) await this.checkCsrf(req, result.principal);
    // An embedded session's bearer token is its session token too (logout revokes it).
    const sessionToken = cookie ?? (result.principal.type === 'embed' ? header!.slice(7).trim() : undefined);
    return { principal: result.principal, authority: result.authority, sessionToken };
  }

  /** Records a failure that happened after the credential was recognised (e.g. a key beyond its creator's rights). */
  async refuse(req: Request, failure: AuthFailure): Promise<never> {
    return this.fail(failureBucket(req), failure);
  }

  /** A refused forgery attempt is a 403 like any other: recorded as `authz.denied` of the session's user. */
  private async checkCsrf(req: Request, principal: Principal): Promise<void> {
    if (SAFE_METHODS.has(req.method)) return;
    const sent = req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !principal.csrfToken || !safeEqual(sent, principal.csrfToken)) {
      const error = new CommonException(
        'csrf_failed',
        'A valid X-CSRF-Token header is required for this request (see GET /api/v1/auth/me)',
      );
      await this.denials.record(
        principal,
        { resourceType: 'route', reason: 'csrf_failed', metadata: { method: req.method, route: req.route?.path } },
        error,
      );
      throw error;
    }
  }

  private async fail(bucket: string, failure: AuthFailure): Promise<never> {
    if (COUNTED_FAILURES.has(failure.reason)) await this.limits.authFailures.penalize(bucket);
    if (failure.orgId && failure.keyId) {
      const orgId = failure.orgId;
      await this.db
        .withOrg(orgId, (em) =>
          this.events.publish(em, {
            action: 'api_key.auth_failed',
            orgId,
            resourceType: 'api_key',
            resourceId: failure.keyId,
            outcome: 'failure',
            reason: failure.reason,
          }),
        )
        .catch((err: Error) => this.log.warn({ err: err.message }, 'could not record failed authentication'));
    }
    if (failure.reason === 'org_suspended')
      throw new CommonException('org_suspended', 'This organization is suspended');
    throw unauthenticated();
  }
}
