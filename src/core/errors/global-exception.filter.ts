import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { EarlyAnswer } from '../http/early-answer.js';
import { LOGGER } from '../logging/logger.js';
import { AppException } from './app.exception.js';
import { isUnavailableError, unavailableProblem } from './unavailable.js';
import { HTTP_CODES, problem, problemFromMiddlewareError, sendProblem, type Problem } from './problem.js';

export { problemFromMiddlewareError };

/**
 * Told of an error before it is answered, inside the request's context. A returned promise holds the answer until
 * it settles (its failure is not answered); the authorization module records the 403s services raise this way.
 */
export type ErrorObserver = (exception: unknown, req: Request) => Promise<void> | undefined;

/**
 * The one place errors become responses: coded app exceptions keep their code and status; Nest HTTP errors and
 * middleware errors are mapped; everything else is a 500 with no detail (logged with the request id).
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly log: Logger,
    private readonly observe?: ErrorObserver,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const pending = this.observe?.(exception, host.switchToHttp().getRequest<Request>());
    if (!pending) return this.answer(exception, host);
    void pending
      .catch(() => undefined)
      .then(() => this.answer(exception, host))
      .catch((err: Error) => this.log.error({ err: err.message }, 'could not answer an error'));
  }

  private answer(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof EarlyAnswer) {
      res.status(exception.status).set(exception.headers);
      if (exception.body === undefined) res.end();
      else if (typeof exception.body === 'string') res.send(exception.body);
      else res.json(exception.body);
      return;
    }
    const { problem: p, headers } = this.toProblem(exception);
    if (p.status === 503 && !(exception instanceof AppException))
      this.log.warn(
        { err: exception instanceof Error ? exception.message : String(exception) },
        'dependency unavailable',
      );
    else if (p.status >= 500)
      this.log.error(
        {
          err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : String(exception),
        },
        'unhandled error',
      );
    sendProblem(res, p, headers);
  }

  private toProblem(e: unknown): { problem: Problem; headers?: Record<string, string> } {
    if (e instanceof AppException) {
      const { headers, ...extra } = e.extra;
      return { problem: problem(e.status, e.code, e.message, extra), headers };
    }
    if (e instanceof HttpException) {
      const cause = e.cause as { status?: number; type?: string } | undefined;
      const fromMiddleware = cause && typeof cause === 'object' ? problemFromMiddlewareError(cause) : null;
      if (fromMiddleware) return { problem: fromMiddleware };
      const status = e.getStatus();
      const detail =
        status === 404
          ? 'No such route'
          : status < 500
            ? 'The request could not be processed'
            : 'Internal server error';
      return {
        problem: problem(status, HTTP_CODES[status] ?? (status < 500 ? 'bad_request' : 'internal_error'), detail),
      };
    }
    const mw = e && typeof e === 'object' ? problemFromMiddlewareError(e as never) : null;
    if (mw) return { problem: mw };
    if (isUnavailableError(e)) return unavailableProblem();
    return { problem: problem(500, 'internal_error', 'Internal server error') };
  }
}
