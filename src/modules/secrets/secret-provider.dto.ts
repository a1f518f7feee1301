import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PROVIDER_TYPES, type ProviderType } from './provider-config.js';

export class PutSecretProviderDto {
  @ApiProperty({ enum: PROVIDER_TYPES })
  @IsIn(PROVIDER_TYPES)
  type: ProviderType;

  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description:
      'vault: {address, mount?="secret", kvVersion?=2, namespace?, caCert?}; aws: {region, endpoint?, versionStage?}; env: {}. https except on loopback.',
  })
  @IsObject()
  config: Record<string, unknown>;

  @ApiPropertyOptional({
    type: Object,
    additionalProperties: true,
    writeOnly: true,
    description:
      'Write-only credentials. vault: {method: "token", token} or {method: "approle", roleId, secretId, mount?="approle"}; aws: {accessKeyId, secretAccessKey, sessionToken?} (omitted: the default chain, if the operator allows it); env: none. Omitted on update: the stored credentials are kept.',
  })
  @IsOptional()
  @IsObject()
  auth?: Record<string, unknown>;
}

export class TestSecretProviderDto {
  @ApiPropertyOptional({ description: 'Also read this path (the value is never returned)', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  path?: string;

  @ApiPropertyOptional({ description: 'With path: a key that must exist in the secret', maxLength: 128 })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/)
  key?: string;
}

export class SecretProviderResponseDto {
  @ApiProperty() name: string;
  @ApiProperty({ enum: PROVIDER_TYPES }) type: ProviderType;
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description: 'The public configuration (never credentials)',
  })
  config: Record<string, unknown>;
  @ApiProperty({
    enum: ['token', 'approle', 'static', 'default_chain', 'none'],
    description: 'How the provider authenticates; the credentials themselves are never returned',
  })
  authMethod: string;
  @ApiProperty({ description: 'Whether credentials are stored' }) hasCredentials: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class SecretProviderPageDto {
  @ApiProperty({ type: [SecretProviderResponseDto] }) items: SecretProviderResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class SecretProviderTestResultDto {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({
    description: 'Why the test failed (secret_unavailable reasons: denied, unreachable, timeout, ...)',
  })
  reason?: string;
  @ApiPropertyOptional({ description: "A sentence for people; never a value or the provider's own error text" })
  detail?: string;
}
