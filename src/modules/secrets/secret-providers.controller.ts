import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { PageQueryDto, pageLimit, type Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import {
  PutSecretProviderDto,
  SecretProviderPageDto,
  SecretProviderResponseDto,
  SecretProviderTestResultDto,
  TestSecretProviderDto,
} from './secret-provider.dto.js';
import { SecretProvidersService } from './secret-providers.service.js';

/** `/api/v1/secret-providers`: an org's Vault, AWS and env providers, by the name references use. */
@ApiTags('secret-providers')
@ApiBearerAuth()
@Controller('api/v1/secret-providers')
export class SecretProvidersController {
  constructor(private readonly providers: SecretProvidersService) {}

  @Get()
  @CheckPolicies('read', 'SecretProvider')
  @ApiOkResponse({ type: SecretProviderPageDto })
  list(@Query() q: PageQueryDto): Promise<Page<SecretProviderResponseDto>> {
    return this.providers.list(RequestContextStore.requireOrgId(), pageLimit(q), q.cursor);
  }

  @Put(':name')
  @CheckPolicies('update', 'SecretProvider')
  @ApiOkResponse({
    type: SecretProviderResponseDto,
    description: 'Created or replaced; credentials are never returned',
  })
  put(@Param('name') name: string, @Body() dto: PutSecretProviderDto): Promise<SecretProviderResponseDto> {
    return this.providers.put(RequestContextStore.requireOrgId(), name, dto);
  }

  @Delete(':name')
  @HttpCode(204)
  @CheckPolicies('delete', 'SecretProvider')
  @ApiNoContentResponse()
  remove(@Param('name') name: string): Promise<void> {
    return this.providers.remove(RequestContextStore.requireOrgId(), name);
  }

  @Post(':name/test')
  @HttpCode(200)
  @CheckPolicies('update', 'SecretProvider')
  @ApiOkResponse({ type: SecretProviderTestResultDto })
  test(@Param('name') name: string, @Body() dto: TestSecretProviderDto): Promise<SecretProviderTestResultDto> {
    return this.providers.test(RequestContextStore.requireOrgId(), name, dto);
  }
}
