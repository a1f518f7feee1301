import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RequestContextStore } from '../../core/context/request-context.js';
import { DenialRecorder, statusOf } from './denials.js';

/**
 * Records the 403s that services raise after the access guard let the request through (a flow the caller sees but
 * may not change, a project outside a project role's reach, ...), unless their thrower recorded them already.
 * The global exception filter asks it before answering, after the handler's transaction ended, so the entry
 * survives the refused change's rollback. An error filter rather than an interceptor: a global interceptor puts
 * every request of the API through an RxJS pipeline for the few that fail this way.
 */
@Injectable()
export class ServiceDenials {
  constructor(private readonly denials: DenialRecorder) {}

  /** An `ErrorObserver`: a promise when it records (the answer waits for it), otherwise `undefined`. */
  readonly observe = (e: unknown, req: Request): Promise<void> | undefined => {
    const ctx = RequestContextStore.get();
    // Only what the guard admitted: its own refusals are recorded where they happen, and a credential refused for
    // its state (a suspended org's 403) is not a denial.
    if (!ctx?.principal || !ctx.admitted || statusOf(e) !== 403 || this.denials.isRecorded(e)) return undefined;
    const policy = ctx.admitted.policy;
    const code = (e as { code?: string }).code ?? 'forbidden';
    return this.denials.record(
      ctx.principal,
      {
        resourceType: policy?.subject ?? 'route',
        // A service's plain 403 is a refusal on the instance (the guard already allowed the action on the type).
        reason: code === 'forbidden' ? 'instance' : code,
        metadata: {
          method: req.method,
          route: (req.route as { path?: string } | undefined)?.path,
          action: policy?.action,
        },
      },
      e,
    );
  };
}
