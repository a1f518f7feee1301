export interface FieldError {
  path: string;
  message: string;
}

/**
 * Base of every coded error the API answers with. Modules subclass it with their own code union and a
 * `Record<Code, status>` map, so an unmapped code is a compile error (STYLE habit 4).
 */
export class AppException extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}

/**
 * The base class of a module's coded exception, from its `code → HTTP status` map. A code missing from the map is a
 * compile error: `export class FlowsException extends codedException(FLOWS_ERROR_HTTP) {}`.
 */
export function codedException<const M extends Record<string, number>>(map: M) {
  return class extends AppException {
    constructor(code: keyof M & string, message: string, extra: AppException['extra'] = {}) {
      super(code, map[code], message, extra);
    }
  };
}

/** Errors every module may raise. */
export const COMMON_ERROR_HTTP = {
  validation_failed: 400,
  malformed_json: 400,
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  org_suspended: 403,
  internal_error: 500,
  not_ready: 503,
  service_unavailable: 503,
  rate_limit_unavailable: 503,
} as const;

export type CommonErrorCode = keyof typeof COMMON_ERROR_HTTP;

export class CommonException extends codedException(COMMON_ERROR_HTTP) {}
