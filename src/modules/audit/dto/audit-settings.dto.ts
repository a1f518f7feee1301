import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class UpdateAuditSettingsDto {
  @ApiProperty({ minimum: 1, maximum: 36500, description: 'Entries older than this many days are purged (default 365)' })
  @IsInt() @Min(1) @Max(36500)
  retentionDays: number;
}

export class AuditSettingsResponseDto {
  @ApiProperty() retentionDays: number;
}
