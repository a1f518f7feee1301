import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { NameField, OptionalText } from '../../../core/http/validation.js';

export class CreateFlowDto {
  @NameField() name: string;
  @OptionalText() description?: string | null;
}

export class UpdateFlowDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @NameField()
  name?: string;

  @OptionalText() description?: string | null;
}

export class FlowResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) projectId: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ description: 'Webhooks and schedules start runs only while enabled' }) enabled: boolean;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The newest published version (the live one); null before the first publish',
  })
  publishedVersion: number | null;
  @ApiProperty({ description: 'Revision of the draft (its ETag is derived from it)' }) draftRevision: number;
  @ApiProperty() draftUpdatedAt: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}
