import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { NameField, OptionalText } from '../../../core/http/validation.js';

export class CreateProjectDto {
  @NameField() name: string;
  @OptionalText() description?: string | null;
}

export class UpdateProjectDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @NameField()
  name?: string;

  @OptionalText() description?: string | null;
}

export class ProjectResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}
