import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';
import type { AppAbility } from '../authz/ability.js';
import type { PolicyMeta } from '../http/policies.js';

export type PrincipalType = 'user' | 'api_key' | 'platform' | 'embed' | 'system';

/** Who is calling. Org principals always carry their org; the platform principal never does. */
export interface Principal {
  type: PrincipalType;
  id: string;
  orgId?: string;
  displayName?: string;
  email?: string;
  /** Built-in role name or custom role id. */
  role?: string;
  /** An API key or an embedded session limited to one project. */
  projectId?: string | null;
  /** Narrowing scopes (`resource:action`); undefined = the role's full permissions. */
  scopes?: string[] | null;
  /** Session principals: the CSRF token bound to the session. */
  csrfToken?: string;
  /** Who created an API key (keys never grant more than their creator). */
  createdBy?: string | null;
  /** Embedded sessions: the session's id (logout revokes exactly it). */
  sessionId?: string;
}

export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
  principal?: Principal;
  /**
   * Set by the access guard when it lets an authenticated request through: the route's policy (none on platform
   * routes). Errors raised after that are the services' (see the authorization module's `ServiceDenials`).
   */
  admitted?: { policy?: PolicyMeta };
  /** The caller's CASL ability, built once per request by the access guard. */
  ability?: AppAbility;
  /** The open tenant transaction (set by `Database.withOrg`), reused by nested calls for the same org. */
  tx?: { orgId: string; em: EntityManager };
}

const storage = new AsyncLocalStorage<RequestContext>();

export const RequestContextStore = {
  run<T>(ctx: RequestContext, fn: () => T): T {
    return storage.run(ctx, fn);
  },
  get(): RequestContext | undefined {
    return storage.getStore();
  },
  /** The calling principal's org. Throws when absent: no org context means deny (fail closed). */
  requireOrgId(): string {
    const orgId = storage.getStore()?.principal?.orgId;
    if (!orgId) throw new Error('No organization context');
    return orgId;
  },
};
