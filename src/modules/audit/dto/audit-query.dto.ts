import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../core/http/pagination.js';

const ACTION = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
const TYPE = /^[a-z][a-z0-9_]*$/;

/** Filters shared by the list and the export. All optional and AND-ed; `from` inclusive, `to` exclusive. */
export class AuditFilterDto {
  @ApiPropertyOptional({ example: 'api_key.revoked' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(ACTION, { message: 'action must look like noun.verb' })
  action?: string;

  @ApiPropertyOptional({ description: 'Actor id (user, API key, platform key or embed session id)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actorId?: string;

  @ApiPropertyOptional({ example: 'project' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(TYPE, { message: 'resourceType must be lower snake case' })
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  resourceId?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure', 'denied'] })
  @IsOptional()
  @IsIn(['success', 'failure', 'denied'])
  outcome?: 'success' | 'failure' | 'denied';

  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Entries before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AuditQueryDto extends IntersectionType(PageQueryDto, AuditFilterDto) {}

export class AuditExportQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}
