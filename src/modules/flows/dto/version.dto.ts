import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

export class PublishFlowDto {
  @ApiPropertyOptional({ maxLength: 2000, description: 'Release note stored with the version' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  message?: string;
}

export class RollbackFlowDto {
  @ApiProperty({ minimum: 1, description: 'The version to publish again' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  message?: string;
}

const REF = /^([1-9][0-9]{0,9}|draft)$/;

export class DiffQueryDto {
  @ApiProperty({ description: 'A version number or "draft"' })
  @IsString()
  @Matches(REF, { message: 'from must be a version number or "draft"' })
  from: string;

  @ApiPropertyOptional({ description: 'A version number or "draft" (default "draft")' })
  @IsOptional()
  @IsString()
  @Matches(REF, { message: 'to must be a version number or "draft"' })
  to?: string;
}

export class PublishedVersionDto {
  @ApiProperty() version: number;
}

export class ActorDto {
  @ApiProperty() type: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
}

export class FlowVersionSummaryDto {
  @ApiProperty() version: number;
  @ApiProperty({ nullable: true, type: String }) message: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'For versions made by a rollback: the version copied' })
  rolledBackFrom: number | null;
  @ApiProperty() schemaVersion: number;
  @ApiProperty({ type: ActorDto }) createdBy: ActorDto;
  @ApiProperty() createdAt: string;
}

export class FlowVersionDto extends FlowVersionSummaryDto {
  @ApiProperty({ format: 'uuid' }) flowId: string;
  @ApiProperty({ type: Object, additionalProperties: true, description: 'Upgraded to the current schema version on read' })
  definition: Record<string, unknown>;
}

export class FlowDiffDto {
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['draft'] }] }) from: number | 'draft';
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['draft'] }] }) to: number | 'draft';
  @ApiProperty() identical: boolean;
  @ApiProperty({ type: [Object] }) changes: unknown[];
  @ApiProperty({ type: [Object] }) trigger: unknown[];
  @ApiProperty({ type: Object, additionalProperties: true, description: '{added, removed, changed}: nodes matched by id, with JSON paths' })
  nodes: Record<string, unknown>;
  @ApiProperty({ type: Object, additionalProperties: true, description: '{added, removed}' }) edges: Record<string, unknown>;
}
