import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { catchError, from, type Observable } from 'rxjs';
import { RequestContextStore } from '../../core/context/request-context.js';
import { POLICY, type PolicyMeta } from '../../core/http/policies.js';
import { DenialRecorder, statusOf } from './denials.js';

/**
 * Records the 403s that services raise after the access guard let the request through (a flow the caller sees but
 * may not change, a project outside a project role's reach, ...), unless their thrower recorded them already.
 * Runs after the handler's transaction ended, so the entry survives the refused change's rollback.
 */
@Injectable()
export class DenialInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly denials: DenialRecorder,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((e: unknown) => from(this.refused(context, e))));
  }

  private async refused(context: ExecutionContext, e: unknown): Promise<never> {
    const principal = RequestContextStore.get()?.principal;
    if (principal && statusOf(e) === 403 && !this.denials.isRecorded(e)) {
      const policy = this.reflector.get<PolicyMeta | undefined>(POLICY, context.getHandler());
      const req = context.switchToHttp().getRequest<Request>();
      const code = (e as { code?: string }).code ?? 'forbidden';
      await this.denials.record(
        principal,
        {
          resourceType: policy?.subject ?? 'route',
          // A service's plain 403 is a refusal on the instance (the guard already allowed the action on the type).
          reason: code === 'forbidden' ? 'instance' : code,
          metadata: { method: req.method, route: req.route?.path, action: policy?.action },
        },
        e,
      );
    }
    throw e;
  }
}
