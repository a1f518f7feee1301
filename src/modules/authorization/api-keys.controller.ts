import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { NoStore } from '../../core/http/decorators.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { UuidParam } from '../../core/http/validation.js';
import {
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  IdentityException,
  RotateApiKeyDto,
  UpdateApiKeyDto,
} from '../identity/index.js';
import { ApiKeysAdminService } from './api-keys-admin.service.js';

const KeyId = UuidParam(() => new IdentityException('api_key_not_found', 'API key not found'));

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiCookieAuth('session')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysAdminService) {}

  /** Keys the caller may see; never a secret. */
  @Get()
  @CheckPolicies('read', 'ApiKey')
  list(@Query() q: PageQueryDto): Promise<Page<ApiKeyResponseDto>> {
    return this.keys.list(q);
  }

  /** Creates a key; the response carries the full key once. */
  @Post()
  @NoStore()
  @CheckPolicies('create', 'ApiKey')
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    return this.keys.create(dto);
  }

  @Get(':keyId')
  @CheckPolicies('read', 'ApiKey', 'keyId')
  @ApiOkResponse({ type: ApiKeyResponseDto })
  get(@Param('keyId', KeyId) id: string): Promise<ApiKeyResponseDto> {
    return this.keys.get(id);
  }

  @Patch(':keyId')
  @CheckPolicies('update', 'ApiKey', 'keyId')
  @ApiOkResponse({ type: ApiKeyResponseDto })
  rename(@Param('keyId', KeyId) id: string, @Body() dto: UpdateApiKeyDto): Promise<ApiKeyResponseDto> {
    return this.keys.rename(id, dto);
  }

  /** A new secret, shown once; the old one keeps working for `gracePeriodSeconds` (default 0). */
  @Post(':keyId/rotate')
  @HttpCode(200)
  @NoStore()
  @CheckPolicies('rotate', 'ApiKey', 'keyId')
  @ApiOkResponse({ type: CreatedApiKeyResponseDto })
  rotate(@Param('keyId', KeyId) id: string, @Body() dto: RotateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    return this.keys.rotate(id, dto);
  }

  /** Revokes the key (and keys it created) on every instance within a second. */
  @Delete(':keyId')
  @HttpCode(204)
  @CheckPolicies('delete', 'ApiKey', 'keyId')
  @ApiNoContentResponse()
  revoke(@Param('keyId', KeyId) id: string): Promise<void> {
    return this.keys.revoke(id);
  }
}
