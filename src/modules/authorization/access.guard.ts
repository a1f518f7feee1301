import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { subject as asSubject } from '@casl/ability';
import { buildAbility } from '../../core/authz/ability.js';
import { RequestContextStore, type Principal } from '../../core/context/request-context.js';
import { CommonException } from '../../core/errors/app.exception.js';
import { IS_PLATFORM, IS_PUBLIC, NO_RATE_LIMIT } from '../../core/http/decorators.js';
import { POLICY, type PolicyMeta } from '../../core/http/policies.js';
import { rateLimitHeaders } from '../../core/http/rate-limit.js';
import { LOGGER } from '../../core/logging/logger.js';
import type { KeyAuthority } from '../identity/index.js';
import { EarlyAnswer } from '../../core/http/early-answer.js';
import { AbilityFactory } from './ability.factory.js';
import { AccessHooks, type RequestHookOutcome } from './access-hooks.js';
import { Authenticator } from './authenticator.js';
import { DenialRecorder } from './denials.js';
import { RateLimitsService } from './rate-limits.service.js';

/** Where the authenticated request keeps its session cookie value (for logout). */
export const SESSION_TOKEN = Symbol('tenantflow:session-token');

/** A route's declarations, as the guard reads them. */
interface RouteMeta {
  isPublic: boolean;
  noRateLimit: boolean;
  isPlatform: boolean;
  policy: PolicyMeta | undefined;
}

/**
 * The one global guard: limits public routes per client address; authenticates (bearer key or session cookie +
 * CSRF) and applies the per-credential rate limit (`RateLimit-*` headers on every answer), builds the
 * request's ability, re-checks that an API key still lies within its creator's rights, and checks the route's
 * declared policy. Routes without `@Public()` or `@CheckPolicies()` are refused (fail closed).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly abilities: AbilityFactory,
    private readonly limits: RateLimitsService,
    private readonly denials: DenialRecorder,
    private readonly hooks: AccessHooks,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.routeMeta(context);
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (route.isPublic) {
      if (route.noRateLimit) return true;
      // No credential to count against: the client address (X-Forwarded-For only from a trusted proxy).
      res.set(rateLimitHeaders(await this.limits.publicRoutes.consume(`ip:${req.ip ?? 'unknown'}`)));
      return true;
    }
    const { principal, authority, sessionToken } = await this.authenticator.authenticate(req);
    const ctx = RequestContextStore.get()!;
    ctx.principal = principal;
    (req as unknown as Record<symbol, unknown>)[SESSION_TOKEN] = sessionToken;
    if (principal.type !== 'platform') await this.hooks.authenticated(req, principal);
    const hooks = principal.type === 'platform' ? undefined : this.hooks.active;
    if (hooks) await this.requestHooks(hooks.onRequest(req, principal), principal, req);

    const limit = await this.limits.api.consume(`${principal.type}:${principal.id}`);
    res.set(rateLimitHeaders(limit));

    const platformRoute = route.isPlatform;
    if (platformRoute !== (principal.type === 'platform')) return this.deny(principal, req, 'wrong_principal_type');
    if (platformRoute) {
      ctx.admitted = {};
      return true;
    }

    const policy = route.policy;
    if (!policy) {
      this.log.error({ route: req.route?.path }, 'route has no declared policy; refusing');
      return this.deny(principal, req, 'no_policy');
    }
    await this.authorize(principal, authority, policy, req);
    const veto = hooks ? await hooks.onAuthorize(req, principal, policy) : null;
    if (veto) return this.deny(principal, req, `plugin:${veto.by}:${veto.reason}`, policy);
    ctx.admitted = { policy };
    return true;
  }

  /**
   * A route's declarations, read on every request, never cached: what a route declares is what holds now (a route
   * whose policy is missing is refused, even if it had one a moment ago).
   */
  private routeMeta(context: ExecutionContext): RouteMeta {
    const handler = context.getHandler();
    const targets = [handler, context.getClass()];
    return {
      isPublic: !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets),
      noRateLimit: !!this.reflector.getAllAndOverride<boolean>(NO_RATE_LIMIT, targets),
      isPlatform: this.reflector.getAllAndOverride<boolean>(IS_PLATFORM, targets) ?? false,
      policy: this.reflector.get<PolicyMeta | undefined>(POLICY, handler),
    };
  }

  /** `onRequest` hooks: answer early, refuse (fail closed on a hook's failure), or change request headers. */
  private async requestHooks(pending: Promise<RequestHookOutcome>, principal: Principal, req: Request): Promise<void> {
    const outcome = await pending;
    if (outcome.kind === 'answer') throw new EarlyAnswer(outcome.status, outcome.headers, outcome.body);
    if (outcome.kind === 'deny') return this.deny(principal, req, outcome.reason);
    for (const [name, value] of Object.entries(outcome.setHeaders ?? {})) req.headers[name] = value;
  }

  /** Builds the request's ability (refusing a key beyond its creator's rights) and checks the route's policy. */
  private async authorize(
    principal: Principal,
    authority: KeyAuthority | undefined,
    policy: PolicyMeta,
    req: Request,
  ): Promise<void> {
    const rules = await this.abilities.rulesFor(principal);
    if (authority && !(await this.abilities.keyWithinAuthority(principal, rules, authority))) {
      return this.authenticator.refuse(req, { reason: 'creator_rights', orgId: principal.orgId, keyId: principal.id });
    }
    const ability = buildAbility(rules);
    RequestContextStore.get()!.ability = ability;
    if (!ability.can(policy.action, policy.subject as never)) return this.deny(principal, req, 'role', policy);
    if (policy.subject !== 'Project') return;
    // A new project has no id yet: a rule pinned to one project (a project role, a project key) lets its holder
    // work inside that project, not create projects.
    if (
      policy.action === 'create' &&
      !ability.can('create', asSubject('Project', { orgId: principal.orgId }) as never)
    ) {
      return this.deny(principal, req, 'role', policy);
    }
    // The guard checks the instance only when the route names the project's own id; services check other subjects
    // after loading them (`canOn`), because their rules are conditioned on fields of the row.
    const id = policy.idParam ? req.params[policy.idParam] : undefined;
    if (typeof id !== 'string') return;
    const instance = asSubject('Project', { orgId: principal.orgId, id });
    if (ability.can(policy.action, instance as never)) return;
    // Outside the caller's sight (e.g. another project for a project key): indistinguishable from absent.
    if (!ability.can('read', instance as never)) throw new CommonException('not_found', 'Not found');
    return this.deny(principal, req, 'instance', policy);
  }

  /** Org principals' denials go to their org's chain; the platform key's (on an org route) to the platform chain. */
  private async deny(principal: Principal, req: Request, reason: string, policy?: PolicyMeta): Promise<never> {
    // A plugin's refusal names itself and its reason code; built-in refusals say no more than "forbidden".
    const error = reason.startsWith('plugin:')
      ? new CommonException('forbidden', 'A plugin refused this request', { reason: reason.slice('plugin:'.length) })
      : new CommonException('forbidden', 'You do not have permission for this action');
    await this.denials.record(
      principal,
      {
        resourceType: policy?.subject ?? 'route',
        reason,
        metadata: { method: req.method, route: req.route?.path, action: policy?.action },
      },
      error,
    );
    throw error;
  }
}
