import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const ROLE_RE = /^(owner|admin|editor|viewer|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const ROLE_MESSAGE = 'role must be owner, admin, editor, viewer or a custom role id';
const ATTRIBUTE_RE = /^[\x21-\x7e]{1,256}$/;

export class RoleMappingDto {
  @ApiProperty({ maxLength: 512, description: 'Group name exactly as the IdP sends it (case-sensitive).' })
  @IsString()
  @Length(1, 512)
  group: string;

  @ApiProperty({ example: 'editor' })
  @IsString()
  @Matches(ROLE_RE, { message: ROLE_MESSAGE })
  role: string;
}

/** Fields both protocols share: role rules and email linking. */
class AccountRulesDto {
  @ApiProperty() @IsBoolean() enabled: boolean;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Role of users no mapping matches; without it they are refused (no_role).',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Matches(ROLE_RE, { message: ROLE_MESSAGE })
  defaultRole?: string | null;

  @ApiPropertyOptional({
    type: [RoleMappingDto],
    description: 'Evaluated in order at every sign-in; the first mapping whose group the user has decides the role.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RoleMappingDto)
  roleMappings?: RoleMappingDto[];

  @ApiPropertyOptional({
    description:
      'Link an existing user with the same email (exact match) when the IdP marks it verified. Default false.',
  })
  @IsOptional()
  @IsBoolean()
  linkByEmail?: boolean;
}

export class PutSamlConfigDto extends AccountRulesDto {
  @ApiProperty({ maxLength: 1024 }) @IsString() @Length(1, 1024) idpEntityId: string;

  @ApiProperty({ description: 'IdP single sign-on URL (HTTP-Redirect binding); https outside development.' })
  @IsString()
  @MaxLength(2048)
  ssoUrl: string;

  @ApiProperty({ type: [String], description: 'PEM signing certificates; several at once during rotation.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @IsString({ each: true })
  @MaxLength(16384, { each: true })
  idpCerts: string[];

  @ApiPropertyOptional({ description: 'Accept IdP-initiated (unsolicited) responses. Default false.' })
  @IsOptional()
  @IsBoolean()
  allowIdpInitiated?: boolean;

  @ApiPropertyOptional({ default: 'groups' })
  @IsOptional()
  @Matches(ATTRIBUTE_RE)
  groupsAttribute?: string;

  @ApiPropertyOptional({
    description:
      'Attribute holding the email; default: email, mail or the eduPerson mail OID, else an emailAddress NameID.',
  })
  @IsOptional()
  @Matches(ATTRIBUTE_RE)
  emailAttribute?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ATTRIBUTE_RE)
  displayNameAttribute?: string;

  @ApiPropertyOptional({
    default: 300,
    minimum: 30,
    maximum: 3600,
    description: 'Oldest accepted assertion (from IssueInstant).',
  })
  @IsOptional()
  @IsInt()
  @Min(30)
  @Max(3600)
  maxAssertionAgeSeconds?: number;

  @ApiPropertyOptional({ default: 60, minimum: 0, maximum: 300 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(300)
  clockSkewSeconds?: number;
}

export class PutOidcConfigDto extends AccountRulesDto {
  @ApiProperty({ enum: ['oidc', 'google', 'github'] }) @IsIn(['oidc', 'google', 'github']) provider:
    'oidc' | 'google' | 'github';

  @ApiPropertyOptional({
    description: 'Issuer for generic OIDC (required); GitHub Enterprise base URL for github; fixed for google.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  issuer?: string;

  @ApiProperty({ maxLength: 512 }) @IsString() @Length(1, 512) clientId: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description: 'Write-only. Required when none is stored; omit to keep the stored one.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  clientSecret?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Default "openid email profile" (GitHub: read:user user:email).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(30)
  @Matches(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, { each: true })
  scopes?: string[];

  @ApiPropertyOptional({ default: 'groups' })
  @IsOptional()
  @Matches(ATTRIBUTE_RE)
  groupsClaim?: string;
}

export class SpInfoDto {
  @ApiProperty() entityId: string;
  @ApiProperty() acsUrl: string;
  @ApiProperty() metadataUrl: string;
  @ApiProperty() loginUrl: string;
}

export class SamlConfigResponseDto {
  @ApiProperty({ description: 'False until a configuration is saved; the SP fields are always present.' })
  configured: boolean;
  @ApiProperty() enabled: boolean;
  @ApiPropertyOptional() idpEntityId?: string;
  @ApiPropertyOptional() ssoUrl?: string;
  @ApiPropertyOptional({ type: [String] }) idpCerts?: string[];
  @ApiPropertyOptional() allowIdpInitiated?: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) defaultRole?: string | null;
  @ApiPropertyOptional() groupsAttribute?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) emailAttribute?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) displayNameAttribute?: string | null;
  @ApiPropertyOptional({ type: [RoleMappingDto] }) roleMappings?: RoleMappingDto[];
  @ApiPropertyOptional() linkByEmail?: boolean;
  @ApiPropertyOptional() maxAssertionAgeSeconds?: number;
  @ApiPropertyOptional() clockSkewSeconds?: number;
  @ApiProperty({ type: SpInfoDto }) sp: SpInfoDto;
  @ApiPropertyOptional() updatedAt?: string;
}

export class RpInfoDto {
  @ApiProperty() redirectUri: string;
  @ApiProperty() loginUrl: string;
}

export class OidcConfigResponseDto {
  @ApiProperty() configured: boolean;
  @ApiProperty() enabled: boolean;
  @ApiPropertyOptional({ enum: ['oidc', 'google', 'github'] }) provider?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) issuer?: string | null;
  @ApiPropertyOptional() clientId?: string;
  @ApiProperty({ description: 'Whether a client secret is stored (its value is never returned).' })
  hasClientSecret: boolean;
  @ApiPropertyOptional({ type: [String] }) scopes?: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) defaultRole?: string | null;
  @ApiPropertyOptional() groupsClaim?: string;
  @ApiPropertyOptional({ type: [RoleMappingDto] }) roleMappings?: RoleMappingDto[];
  @ApiPropertyOptional() linkByEmail?: boolean;
  @ApiProperty({ type: RpInfoDto }) rp: RpInfoDto;
  @ApiPropertyOptional() updatedAt?: string;
}
