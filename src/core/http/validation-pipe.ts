import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { CommonException, type FieldError } from '../errors/app.exception.js';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) {
      out.push({ path, message: message.replace(/^property (\S+) should not exist$/, 'unknown field') });
    }
    if (e.children?.length) out.push(...flatten(e.children, path));
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
    exceptionFactory: (errors) => new CommonException('validation_failed', 'The request is invalid', { errors: flatten(errors) }),
  });
}
