import { codedException } from '../../core/errors/app.exception.js';

export const EXECUTION_ERROR_HTTP = {
  run_not_found: 404,
  run_not_active: 409,
  run_limit_reached: 429,
  idempotency_key_reused: 422,
  flow_not_runnable: 422,
  queue_unavailable: 503,
} as const;

export type ExecutionErrorCode = keyof typeof EXECUTION_ERROR_HTTP;

export class ExecutionException extends codedException(EXECUTION_ERROR_HTTP) {}
