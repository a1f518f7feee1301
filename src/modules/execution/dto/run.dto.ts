import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsOptional,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { RUN_STATUSES, type RunStatus } from '../engine/run-types.js';

@ValidatorConstraint({ name: 'runVersion' })
class RunVersionConstraint implements ValidatorConstraintInterface {
  validate(v: unknown): boolean {
    return v === 'draft' || (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 2 ** 31);
  }
  defaultMessage(): string {
    return 'version must be a positive integer or "draft"';
  }
}

export class CreateRunDto {
  @ApiPropertyOptional({ description: 'The run input, seen by expressions as trigger.input' })
  @IsOptional()
  input?: unknown;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', enum: ['draft'] },
    ],
    description: 'Default: the published version',
  })
  @IsOptional()
  @Validate(RunVersionConstraint)
  version?: number | 'draft';

  @ApiPropertyOptional({
    description: 'Wait for the run to finish (up to the webhook wait timeout) and include its output',
  })
  @IsOptional()
  @IsBoolean()
  wait?: boolean;
}

export class RunErrorDto {
  @ApiProperty({ enum: ['timeout', 'memory', 'user_error', 'node_error', 'limit', 'plugin_error', 'plugin_timeout'] })
  type: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional() nodeId?: string;
}

export class CreatedRunDto {
  @ApiProperty({ format: 'uuid' }) runId: string;
  @ApiProperty({ enum: RUN_STATUSES }) status: RunStatus;
  @ApiPropertyOptional({ type: Object, additionalProperties: true }) output?: unknown;
  @ApiPropertyOptional({ type: RunErrorDto }) error?: RunErrorDto;
}

export class StepDto {
  @ApiProperty() nodeId: string;
  @ApiProperty() nodeType: string;
  @ApiProperty() attempt: number;
  @ApiPropertyOptional() iteration?: number;
  @ApiProperty({ enum: ['succeeded', 'failed'] }) status: string;
  @ApiProperty() startedAt: string;
  @ApiProperty() durationMs: number;
  @ApiPropertyOptional({ type: Object, additionalProperties: true }) output?: unknown;
  @ApiPropertyOptional({ type: RunErrorDto }) error?: RunErrorDto;
}

export class RunSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) flowId: string;
  @ApiProperty({ format: 'uuid' }) projectId: string;
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['draft'] }] }) version: number | 'draft';
  @ApiProperty({ enum: ['webhook', 'manual', 'schedule'] }) trigger: string;
  @ApiProperty({ enum: RUN_STATUSES }) status: RunStatus;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional() startedAt?: string | null;
  @ApiPropertyOptional() finishedAt?: string | null;
  @ApiPropertyOptional() durationMs?: number | null;
  @ApiPropertyOptional({ type: RunErrorDto }) error?: RunErrorDto;
}

export class RunDetailDto extends RunSummaryDto {
  @ApiPropertyOptional({ type: Object, additionalProperties: true }) input?: unknown;
  @ApiPropertyOptional({ type: Object, additionalProperties: true }) output?: unknown;
  @ApiProperty({ type: [StepDto] }) steps: StepDto[];
}
