import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length, MaxLength, ValidateIf } from 'class-validator';
import { ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { CommonException } from '../errors/app.exception.js';

/** A required, trimmed-length-checked name. */
export const NameField = (max = 200): PropertyDecorator =>
  applyDecorators(ApiProperty({ maxLength: max }), IsString(), Length(1, max));

/** An optional free text; `null` clears it. */
export const OptionalText = (max = 2000): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ maxLength: max, nullable: true }), ValidateIf((_o, v) => v !== null), IsOptional(), IsString(), MaxLength(max));

export const OptionalUUID = (): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ format: 'uuid', nullable: true }), ValidateIf((_o, v) => v !== null), IsOptional(), IsUUID());

/** Path parameter pipe: a malformed id is simply "not found" (no existence or format oracle). */
export function UuidParam(notFound: () => Error = () => new CommonException('not_found', 'Not found')): PipeTransform {
  return new ParseUUIDPipe({ exceptionFactory: notFound });
}
