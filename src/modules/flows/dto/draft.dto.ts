import { ApiProperty } from '@nestjs/swagger';
import { CommonException, type FieldError } from '../../../core/errors/app.exception.js';

/**
 * Body of `PUT /draft`, for the OpenAPI document. The handler takes the body untyped and checks it with
 * `parseSaveDraftBody`: class-transformer would walk the whole definition recursively, and a hostile, deeply nested
 * document would exhaust the stack there (a 500) before the definition's own depth limit could answer 400.
 */
export class SaveDraftDto {
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description: 'Flow definition (schemaVersion 1); see docs/flows.md',
  })
  definition: Record<string, unknown>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The same rules the global validation pipe applies: an object body, `definition` an object, no other fields. */
export function parseSaveDraftBody(body: unknown): SaveDraftDto {
  const errors: FieldError[] = [];
  if (!isPlainObject(body)) errors.push({ path: '', message: 'the body must be a JSON object' });
  else {
    for (const key of Object.keys(body)) if (key !== 'definition') errors.push({ path: key, message: 'unknown field' });
    if (!isPlainObject(body.definition)) errors.push({ path: 'definition', message: 'definition must be an object' });
  }
  if (errors.length) throw new CommonException('validation_failed', 'The request is invalid', { errors });
  return body as unknown as SaveDraftDto;
}

export class DraftResponseDto {
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description: 'Literal secret values are shown as "********"; sending them back keeps the stored value',
  })
  definition: Record<string, unknown>;
  @ApiProperty() revision: number;
  @ApiProperty() updatedAt: string;
}
