import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export const LIMIT_RANGES = {
  maxConcurrent: [1, 10_000],
  maxRunsPerMinute: [1, 10_000_000],
  maxSteps: [1, 1_000_000],
  maxDurationMs: [1_000, 24 * 60 * 60_000],
} as const;
export const LIMIT_KEYS = Object.keys(LIMIT_RANGES) as (keyof typeof LIMIT_RANGES)[];
export const RUN_RETENTION_DAYS_RANGE = [1, 3650] as const;
export const MAX_ALLOWLIST_ENTRIES = 256;

/** An optional integer override in range; `null` removes the override (the server default applies again). */
const LimitField = ([min, max]: readonly [number, number]): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: min, maximum: max, nullable: true }),
    ValidateIf((_o, v) => v !== null),
    IsOptional(),
    IsInt(),
    Min(min),
    Max(max),
  );

export class OrgLimitsDto {
  @LimitField(LIMIT_RANGES.maxConcurrent) maxConcurrent?: number | null;
  @LimitField(LIMIT_RANGES.maxRunsPerMinute) maxRunsPerMinute?: number | null;
  @LimitField(LIMIT_RANGES.maxSteps) maxSteps?: number | null;
  @LimitField(LIMIT_RANGES.maxDurationMs) maxDurationMs?: number | null;
}

/** What the platform operator may set on an org (never the org's own keys). */
export class OrgPlatformSettingsPatchDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_ALLOWLIST_ENTRIES,
    example: ['10.20.0.0/16', 'crm.internal'],
    description:
      "CIDRs or host names the org's outbound calls may reach besides public addresses; replaces the list. Cloud metadata addresses and ranges are refused.",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWLIST_ENTRIES)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  egressAllowlist?: string[];

  @ApiPropertyOptional({
    type: OrgLimitsDto,
    description: 'Run limit overrides; given fields are set, null removes one.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OrgLimitsDto)
  limits?: OrgLimitsDto;

  /** Run history kept for the org, in days; null removes the override (the server default applies again). */
  @LimitField(RUN_RETENTION_DAYS_RANGE) runRetentionDays?: number | null;
}

export class OrgLimitsResponseDto {
  @ApiPropertyOptional({ type: 'integer' }) maxConcurrent?: number;
  @ApiPropertyOptional({ type: 'integer' }) maxRunsPerMinute?: number;
  @ApiPropertyOptional({ type: 'integer' }) maxSteps?: number;
  @ApiPropertyOptional({ type: 'integer' }) maxDurationMs?: number;
}

/** Read-only for the org's admins (`GET /api/v1/org`); set by the platform operator. */
export class OrgPlatformSettingsResponseDto {
  @ApiProperty({ type: [String] }) egressAllowlist: string[];
  @ApiProperty({ type: OrgLimitsResponseDto }) limits: OrgLimitsResponseDto;
  /** Present when the operator set it; otherwise the server default applies. */
  @ApiPropertyOptional({ type: 'integer', description: 'Days finished runs are kept (absent: the server default)' })
  runRetentionDays?: number;
}
