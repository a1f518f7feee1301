import { ApiProperty } from '@nestjs/swagger';
import { IntField } from '../../../core/http/validation.js';

export class UpdateAuditSettingsDto {
  @IntField({ min: 1, max: 36500, description: 'Entries older than this many days are purged (default 365)' })
  retentionDays: number;
}

export class AuditSettingsResponseDto {
  @ApiProperty() retentionDays: number;
}
