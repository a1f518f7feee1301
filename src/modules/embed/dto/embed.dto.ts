import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { EMBED_ALGS } from '../embed-key-material.js';

export class CreateEmbedKeyDto {
  @ApiProperty({ description: 'Key id: the `kid` header of the tokens this key signs.' })
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/)
  kid: string;

  @ApiProperty({ enum: EMBED_ALGS })
  @IsIn(EMBED_ALGS)
  alg: 'RS256' | 'ES256';

  @ApiProperty({
    description: 'The public key: PEM (SPKI) text or a JWK object.',
    oneOf: [{ type: 'string' }, { type: 'object' }],
  })
  @IsDefined()
  publicKey: string | Record<string, unknown>;
}

export class EmbedKeyResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() kid: string;
  @ApiProperty({ enum: EMBED_ALGS }) alg: string;
  @ApiProperty({ type: Object, additionalProperties: true, description: 'The public JWK.' }) publicKey: Record<
    string,
    unknown
  >;
  @ApiProperty() createdAt: string;
}

export class EmbedKeyListDto {
  @ApiProperty({ type: [EmbedKeyResponseDto] }) items: EmbedKeyResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: null;
}

export class OpenEmbedSessionDto {
  @ApiProperty({ description: "A JWT signed by one of the org's registered embed keys." })
  @IsString()
  @MaxLength(16_384)
  token: string;
}

export class EmbedSessionResponseDto {
  @ApiProperty({ description: 'Bearer token (`tfe_…`), shown once.' }) token: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty() projectId: string;
  @ApiProperty() userId: string;
  @ApiProperty({ enum: ['editor', 'viewer'] }) role: string;
}

export class EmbedSettingsDto {
  @ApiProperty({
    type: [String],
    description: 'Origins (scheme://host[:port]) whose pages may call the API with embedded sessions.',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, { each: true })
  allowedOrigins: string[];
}
