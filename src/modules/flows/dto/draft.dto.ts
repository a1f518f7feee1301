import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';

export class SaveDraftDto {
  @ApiProperty({ type: Object, additionalProperties: true, description: 'Flow definition (schemaVersion 1); see docs/flows.md' })
  @IsObject()
  definition: Record<string, unknown>;
}

export class DraftResponseDto {
  @ApiProperty({ type: Object, additionalProperties: true, description: 'Literal secret values are shown as "********"; sending them back keeps the stored value' })
  definition: Record<string, unknown>;
  @ApiProperty() revision: number;
  @ApiProperty() updatedAt: string;
}
