import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { OptionalText } from '../../../core/http/validation.js';

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** A role reference: a built-in name or a custom role's id. */
export const RoleField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ description: 'Built-in role (owner, admin, editor, viewer) or a custom role id', example: 'editor' }),
    IsString(),
    Length(1, 64),
  );

export class CreateUserDto {
  @ApiProperty({ format: 'email', maxLength: 254 })
  @Transform(({ value }) => (typeof value === 'string' ? normalizeEmail(value) : value))
  @IsEmail({ allow_display_name: false, require_tld: false })
  @MaxLength(254)
  email: string;

  @RoleField() role: string;

  @OptionalText(200) displayName?: string | null;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ description: 'Built-in role or custom role id' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  role?: string;

  @OptionalText(200) displayName?: string | null;
}

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ nullable: true, type: String }) displayName: string | null;
  @ApiProperty() role: string;
  @ApiProperty({ enum: ['active', 'deactivated'] }) status: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}
