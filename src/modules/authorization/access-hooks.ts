import type { Request } from 'express';
import type { Principal } from '../../core/context/request-context.js';
import type { PolicyMeta } from '../../core/http/policies.js';

/** What the request hooks decided: answer now, refuse, or go on (optionally with changed request headers). */
export type RequestHookOutcome =
  | { kind: 'continue'; setHeaders?: Record<string, string> }
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: unknown }
  | { kind: 'deny'; reason: string };

/** A refusal by an `onAuthorize` voter, named for the denial record. */
export interface AuthorizeVeto {
  by: string;
  reason: string;
}

export interface AccessHookHandlers {
  onRequest(req: Request, principal: Principal): Promise<RequestHookOutcome>;
  /** Asked only after the built-in checks allowed the request; it can only take an allow away. */
  onAuthorize(req: Request, principal: Principal, policy: PolicyMeta): Promise<AuthorizeVeto | null>;
}

/**
 * The access guard's extension point, filled by the plugins module (which may import authorization, not the
 * reverse). Empty, the guard does nothing extra; the handlers themselves fail closed.
 */
/** Told of every authenticated org request before anything else runs (e.g. embedding's per-org CORS headers). */
export type AuthenticatedListener = (req: Request, principal: Principal) => Promise<void>;

export class AccessHooks {
  private handlers?: AccessHookHandlers;
  private readonly listeners: AuthenticatedListener[] = [];

  onAuthenticated(listener: AuthenticatedListener): void {
    this.listeners.push(listener);
  }

  async authenticated(req: Request, principal: Principal): Promise<void> {
    for (const listener of this.listeners) await listener(req, principal);
  }

  register(handlers: AccessHookHandlers): void {
    this.handlers = handlers;
  }

  get active(): AccessHookHandlers | undefined {
    return this.handlers;
  }
}
