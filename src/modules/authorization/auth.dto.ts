import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Length, IsString } from 'class-validator';
import { ACTIONS, SUBJECTS } from '../../core/authz/ability.js';

export class MePrincipalDto {
  @ApiProperty({ enum: ['user', 'api_key', 'embed'] }) type: string;
  @ApiProperty() id: string;
  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional() displayName?: string;
}

export class MeOrgDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
}

export class ProjectRoleDto {
  @ApiProperty({ format: 'uuid' }) projectId: string;
  @ApiProperty() role: string;
}

export class EffectivePermissionDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }) action: string | string[];
  @ApiProperty() subject: string;
  @ApiPropertyOptional({ type: Object, additionalProperties: true, description: 'Besides the org' })
  conditions?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Where the permission comes from' }) source?: string;
}

export class MeResponseDto {
  @ApiProperty({ type: MePrincipalDto }) principal: MePrincipalDto;
  @ApiProperty({ type: MeOrgDto }) org: MeOrgDto;
  @ApiProperty() role: string;
  @ApiProperty({ type: [ProjectRoleDto] }) projectRoles: ProjectRoleDto[];
  @ApiProperty({ type: [EffectivePermissionDto] }) permissions: EffectivePermissionDto[];
  @ApiPropertyOptional({ description: 'Sessions only: send as X-CSRF-Token on unsafe requests' }) csrfToken?: string;
}

export class AuthzCheckDto {
  @ApiProperty({ enum: ACTIONS }) @IsIn(ACTIONS as unknown as string[]) action: string;
  @ApiProperty({ enum: SUBJECTS }) @IsIn(SUBJECTS as unknown as string[]) subject: string;
  @ApiPropertyOptional({ description: 'Check one resource instead of the type' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  subjectId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Ask about another user (admins only)' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class AuthzCheckResponseDto {
  @ApiProperty() allowed: boolean;
  @ApiProperty() reason: string;
}
