import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsUUID, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../../core/http/pagination.js';
import { NameField, OptionalUUID } from '../../../core/http/validation.js';
import { CONNECTION_TYPES, type ConnectionType } from '../connection-types.js';

const DATA_DOC =
  'Per type (API.md): api_key {in, name, value}, basic {username, password}, bearer {token}, oauth2 {grantType, clientId, ' +
  'clientSecret, tokenUrl, authorizeUrl?, scopes?}, custom {fields: {<name>: {value, secret, in?}}}; every type: testUrl?. ' +
  'Any string may be a secret reference {{ secrets.<name>.<path>#<key> }}. Secret fields are write-only.';

export class CreateConnectionDto {
  @NameField() name: string;

  @ApiProperty({ enum: CONNECTION_TYPES })
  @IsIn(CONNECTION_TYPES)
  type: ConnectionType;

  @OptionalUUID() projectId?: string | null;

  @ApiPropertyOptional({ description: 'Org connections only: offered to embedded projects' })
  @IsOptional()
  @IsBoolean()
  predefined?: boolean;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    description: 'Predefined connections only: the projects that may use it',
  })
  @ValidateIf((_o, v) => v !== null)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  allowedProjectIds?: string[] | null;

  @ApiProperty({ type: Object, description: DATA_DOC })
  @IsObject()
  data: Record<string, unknown>;
}

export class UpdateConnectionDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @NameField()
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  predefined?: boolean;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @ValidateIf((_o, v) => v !== null)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  allowedProjectIds?: string[] | null;

  @ApiPropertyOptional({
    type: Object,
    description: `Merged into the stored data: secret fields left out keep their values. ${DATA_DOC}`,
  })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;
}

export class ListConnectionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this project's connections" })
  @IsOptional()
  @IsUUID()
  projectId?: string;
}

export class ConnectionResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: CONNECTION_TYPES }) type: ConnectionType;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) projectId: string | null;
  @ApiProperty() predefined: boolean;
  @ApiProperty({ type: [String], nullable: true }) allowedProjectIds: string[] | null;
  @ApiProperty({ type: Object, description: 'Non-secret fields; each secret field only as {"set": true}' })
  data: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'OAuth2: whether a token is stored, and until when it is valid' })
  oauth2?: { connected: boolean; expiresAt: string | null };
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ConnectionTestResponseDto {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ description: 'Why the test failed (never a secret)' }) reason?: string;
}
