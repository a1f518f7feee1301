import { Body, Controller, Delete, Get, HttpCode, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { RequestContextStore } from '../../../../core/context/request-context.js';
import { CheckPolicies } from '../../../../core/http/policies.js';
import { OidcConfigResponseDto, PutOidcConfigDto, PutSamlConfigDto, SamlConfigResponseDto } from './sso-config.dto.js';
import { SsoConfigService } from './sso-config.service.js';

export class PutOidcQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Fetch the issuer discovery document before saving (422 if unreachable).',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  verifyDiscovery?: 'true' | 'false';
}

@ApiTags('sso')
@ApiBearerAuth()
@Controller('api/v1/sso')
export class SsoConfigController {
  constructor(private readonly sso: SsoConfigService) {}

  @Get('saml')
  @CheckPolicies('read', 'SsoConfig')
  @ApiOkResponse({ type: SamlConfigResponseDto })
  getSaml(): Promise<SamlConfigResponseDto> {
    return this.sso.getSaml(RequestContextStore.requireOrgId());
  }

  @Put('saml')
  @CheckPolicies('update', 'SsoConfig')
  @ApiOkResponse({ type: SamlConfigResponseDto })
  putSaml(@Body() dto: PutSamlConfigDto): Promise<SamlConfigResponseDto> {
    return this.sso.putSaml(RequestContextStore.requireOrgId(), dto);
  }

  @Delete('saml')
  @HttpCode(204)
  @CheckPolicies('delete', 'SsoConfig')
  @ApiNoContentResponse()
  deleteSaml(): Promise<void> {
    return this.sso.remove(RequestContextStore.requireOrgId(), 'saml');
  }

  @Get('oidc')
  @CheckPolicies('read', 'SsoConfig')
  @ApiOkResponse({ type: OidcConfigResponseDto })
  getOidc(): Promise<OidcConfigResponseDto> {
    return this.sso.getOidc(RequestContextStore.requireOrgId());
  }

  @Put('oidc')
  @CheckPolicies('update', 'SsoConfig')
  @ApiOkResponse({ type: OidcConfigResponseDto })
  putOidc(@Body() dto: PutOidcConfigDto, @Query() query: PutOidcQueryDto): Promise<OidcConfigResponseDto> {
    return this.sso.putOidc(RequestContextStore.requireOrgId(), dto, query.verifyDiscovery === 'true');
  }

  @Delete('oidc')
  @HttpCode(204)
  @CheckPolicies('delete', 'SsoConfig')
  @ApiNoContentResponse()
  deleteOidc(): Promise<void> {
    return this.sso.remove(RequestContextStore.requireOrgId(), 'oidc');
  }
}
