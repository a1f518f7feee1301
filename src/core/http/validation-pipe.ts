import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { CommonException, type FieldError } from '../errors/app.exception.js';
import { PageQueryDto, parsePageQuery } from './pagination.js';

/** An answer lists the first few field errors only: a body with thousands of bad fields gets a small reply. */
export const MAX_FIELD_ERRORS = 20;

function flatten(errors: ValidationError[], parent = '', out: FieldError[] = []): FieldError[] {
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) {
      if (out.length >= MAX_FIELD_ERRORS) return out;
      out.push({
        path: path.slice(0, 200),
        message: message.replace(/^property (\S+) should not exist$/, 'unknown field'),
      });
    }
    if (e.children?.length) flatten(e.children, path, out);
  }
  return out;
}

/**
 * Exact fast paths for hot query DTOs (the list pages): each returns what the full pipe would for the common valid
 * query, or `undefined` to leave the query to the full pipe. Only the exact class: subclasses add fields.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const FAST_QUERIES = new Map<Function, (query: Record<string, unknown>) => object | undefined>([
  [PageQueryDto, parsePageQuery],
]);

class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const fast = metadata.type === 'query' && metadata.metatype ? FAST_QUERIES.get(metadata.metatype) : undefined;
    const parsed =
      fast && value !== null && typeof value === 'object' ? fast(value as Record<string, unknown>) : undefined;
    return parsed ?? super.transform(value, metadata);
  }
}

/** Whitelisting, unknown-field rejection (no mass assignment) and problem+json field errors. */
export function createValidationPipe({ fastQueries = true } = {}): ValidationPipe {
  return new (fastQueries ? AppValidationPipe : ValidationPipe)({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new CommonException('validation_failed', 'The request is invalid', { errors: flatten(errors) }),
  });
}
