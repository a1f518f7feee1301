import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ACTIONS, SUBJECTS } from '../../../core/authz/ability.js';
import { OptionalText } from '../../../core/http/validation.js';

const ROLE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;

export class PermissionConditionsDto {
  @ApiPropertyOptional({
    description: 'A project id or a list of project ids (project subjects only)',
    oneOf: [
      { type: 'string', format: 'uuid' },
      { type: 'array', items: { type: 'string', format: 'uuid' } },
    ],
  })
  @IsOptional()
  projectId?: string | string[];

  @ApiPropertyOptional({ enum: ['$self'], description: 'Only resources owned by the role holder (ApiKey)' })
  @IsOptional()
  @IsIn(['$self'])
  ownerUserId?: '$self';
}

export class PermissionDto {
  @ApiProperty({ enum: ACTIONS }) @IsIn(ACTIONS as unknown as string[]) action: string;
  @ApiProperty({ enum: SUBJECTS }) @IsIn(SUBJECTS as unknown as string[]) subject: string;

  @ApiPropertyOptional({ type: PermissionConditionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PermissionConditionsDto)
  conditions?: PermissionConditionsDto;
}

const RoleName = (optional = false): PropertyDecorator =>
  applyDecorators(
    (optional ? ApiPropertyOptional : ApiProperty)({ maxLength: 64, pattern: ROLE_NAME_RE.source }),
    IsString(),
    Length(1, 64),
    Matches(ROLE_NAME_RE, { message: 'name must start with a letter or digit and use letters, digits, spaces, _ . -' }),
  );

export class CreateRoleDto {
  @RoleName() name: string;
  @OptionalText(500) description?: string | null;

  @ApiProperty({ type: [PermissionDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PermissionDto)
  permissions: PermissionDto[];
}

export class UpdateRoleDto {
  @IsOptional() @RoleName(true) name?: string;
  @OptionalText(500) description?: string | null;

  @ApiPropertyOptional({ type: [PermissionDto] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PermissionDto)
  permissions?: PermissionDto[];
}

export class RoleResponseDto {
  @ApiProperty({ description: 'Custom role id, or the built-in role name' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty() builtIn: boolean;
  @ApiProperty({ type: [PermissionDto] }) permissions: PermissionDto[];
  @ApiPropertyOptional() createdAt?: string;
  @ApiPropertyOptional() updatedAt?: string;
}
