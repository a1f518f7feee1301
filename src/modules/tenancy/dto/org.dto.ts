import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { NameField } from '../../../core/http/validation.js';
import { OrgPlatformSettingsPatchDto, OrgPlatformSettingsResponseDto } from './org-settings.dto.js';

export const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class CreateOrgDto {
  @NameField() name: string;

  @ApiProperty({ pattern: SLUG_RE.source, example: 'acme' })
  @IsString()
  @Matches(SLUG_RE, { message: 'slug must be 1-63 lowercase letters, digits or inner hyphens' })
  slug: string;
}

export class UpdateOrgDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @NameField()
  name?: string;
}

export class SetOrgStatusDto {
  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @NameField()
  name?: string;

  @ApiPropertyOptional({ type: OrgPlatformSettingsPatchDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OrgPlatformSettingsPatchDto)
  settings?: OrgPlatformSettingsPatchDto;
}

export class OrgResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status: string;
  @ApiProperty() createdAt: string;
  /** The operator-set egress allowlist and run limits: for the platform operator and the org's admins only. */
  @ApiPropertyOptional({ type: OrgPlatformSettingsResponseDto }) settings?: OrgPlatformSettingsResponseDto;
}
