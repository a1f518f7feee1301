import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { CommonException, type FieldError } from '../errors/app.exception.js';

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

/** Whitelisting, unknown-field rejection (no mass assignment) and problem+json field errors. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
