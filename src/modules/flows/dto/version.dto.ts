import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, ValidateBy } from 'class-validator';
import { IntField, isIntText } from '../../../core/http/validation.js';

export class PublishFlowDto {
  @ApiPropertyOptional({ maxLength: 2000, description: 'Release note stored with the version' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  message?: string;
}

export class RollbackFlowDto {
  @IntField({ min: 1, description: 'The version to publish again' })
  version: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  message?: string;
}

/** A version number (a positive int4) or "draft". */
const isVersionRef = (v: unknown): boolean => v === 'draft' || isIntText(v, 1);
const VersionRef = (name: string): PropertyDecorator =>
  ValidateBy({
    name: 'versionRef',
    validator: { validate: isVersionRef, defaultMessage: () => `${name} must be a version number or "draft"` },
  });

export class DiffQueryDto {
  @ApiProperty({ description: 'A version number or "draft"' })
  @IsString()
  @VersionRef('from')
  from: string;

  @ApiPropertyOptional({ description: 'A version number or "draft" (default "draft")' })
  @IsOptional()
  @IsString()
  @VersionRef('to')
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
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description: 'Upgraded to the current schema version on read',
  })
  definition: Record<string, unknown>;
}

export class FlowDiffDto {
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['draft'] }] }) from: number | 'draft';
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['draft'] }] }) to: number | 'draft';
  @ApiProperty() identical: boolean;
  @ApiProperty({ type: [Object] }) changes: unknown[];
  @ApiProperty({ type: [Object] }) trigger: unknown[];
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description: '{added, removed, changed}: nodes matched by id, with JSON paths',
  })
  nodes: Record<string, unknown>;
  @ApiProperty({ type: Object, additionalProperties: true, description: '{added, removed}' }) edges: Record<
    string,
    unknown
  >;
}
