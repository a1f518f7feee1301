import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { CommonException } from '../errors/app.exception.js';

/** A required, trimmed-length-checked name. */
export const NameField = (max = 200): PropertyDecorator =>
  applyDecorators(ApiProperty({ maxLength: max }), IsString(), Length(1, max));

/** An optional free text; `null` clears it. */
export const OptionalText = (max = 2000): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ maxLength: max, nullable: true }),
    ValidateIf((_o, v) => v !== null),
    IsOptional(),
    IsString(),
    MaxLength(max),
  );

export const OptionalUUID = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ format: 'uuid', nullable: true }),
    ValidateIf((_o, v) => v !== null),
    IsOptional(),
    IsUUID(),
  );

/** Path parameter pipe: a malformed id is simply "not found" (no existence or format oracle). */
export function UuidParam(notFound: () => Error = () => new CommonException('not_found', 'Not found')): PipeTransform {
  return new ParseUUIDPipe({ exceptionFactory: notFound });
}

/** The largest integer a PostgreSQL `integer` holds: no integer the API accepts may exceed it. */
export const INT32_MAX = 2_147_483_647;

/** True for decimal integer text (no sign, exponent, hex or spaces) whose value lies in [min, max]. */
export const isIntText = (text: unknown, min = 0, max = INT32_MAX): boolean =>
  typeof text === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(text) && Number(text) >= min && Number(text) <= max;

export interface IntFieldOptions {
  min: number;
  /** Defaults to {@link INT32_MAX}. */
  max?: number;
  optional?: boolean;
  /** A query parameter: decimal text is turned into the number (anything else stays text and fails `IsInt`). */
  query?: boolean;
  description?: string;
  default?: number;
}

/**
 * An integer field, range-checked at the edge (400 `validation_failed`): `1e300` or `2147483648` never reach the
 * database as a 500. Body values must be JSON integers; query values strict decimal text.
 */
export function IntField(o: IntFieldOptions): PropertyDecorator {
  const max = Math.min(o.max ?? INT32_MAX, INT32_MAX);
  const doc = {
    type: 'integer' as const,
    minimum: o.min,
    maximum: max,
    description: o.description,
    default: o.default,
  };
  const decorators: PropertyDecorator[] = [o.optional ? ApiPropertyOptional(doc) : ApiProperty(doc)];
  if (o.optional) decorators.push(IsOptional());
  if (o.query)
    decorators.push(
      Transform(({ value }: { value: unknown }) =>
        typeof value === 'string' && /^-?[0-9]{1,16}$/.test(value) ? Number(value) : value,
      ),
    );
  decorators.push(IsInt(), Min(o.min), Max(max));
  return applyDecorators(...decorators);
}
