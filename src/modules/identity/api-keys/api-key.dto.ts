import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDate, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { NameField, OptionalUUID } from '../../../core/http/validation.js';
import { RoleField } from '../users/user.dto.js';

/** `resource:action`, e.g. `flow:publish`, `api_key:create` (resource = snake_case subject). */
export const SCOPE_RE = /^[a-z][a-z_]{0,40}:[a-z]{1,20}$/;

export class CreateApiKeyDto {
  @NameField() name: string;
  @RoleField() role: string;
  @OptionalUUID() projectId?: string | null;

  @ApiPropertyOptional({
    type: [String],
    example: ['flow:read', 'flow:run'],
    description: 'Narrow the role to these resource:action pairs',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCOPE_RE, { each: true, message: 'each scope must look like resource:action (e.g. flow:read)' })
  scopes?: string[];

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

export class UpdateApiKeyDto {
  @NameField() name: string;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 604800, default: 0, description: 'Seconds the old secret keeps working' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  gracePeriodSeconds?: number;
}

export class ApiKeyCreatorDto {
  @ApiProperty({ enum: ['user', 'api_key', 'platform', 'system'] }) type: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Display prefix (tfk_<public id>); never the secret' }) prefix: string;
  @ApiProperty() role: string;
  @ApiProperty({ nullable: true, type: String }) projectId: string | null;
  @ApiProperty({ nullable: true, type: [String] }) scopes: string[] | null;
  @ApiProperty({ nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ type: ApiKeyCreatorDto }) createdBy: ApiKeyCreatorDto;
  @ApiProperty({ nullable: true, type: String, description: 'The user whose rights bound the key' }) ownerUserId:
    string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Until when the secret before the last rotation still works',
  })
  previousSecretValidUntil: string | null;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status: string;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  @ApiProperty({ description: 'The full key, shown once' }) key: string;
}
