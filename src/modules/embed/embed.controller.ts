import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { RequestContextStore } from '../../core/context/request-context.js';
import { Public } from '../../core/http/decorators.js';
import { CheckPolicies } from '../../core/http/policies.js';
import {
  CreateEmbedKeyDto,
  EmbedKeyListDto,
  EmbedKeyResponseDto,
  EmbedSessionResponseDto,
  EmbedSettingsDto,
  OpenEmbedSessionDto,
} from './dto/embed.dto.js';
import { EmbedCors } from './embed-cors.js';
import { EmbedKeysService } from './embed-keys.service.js';
import { EmbedSessionsService } from './embed-sessions.service.js';

@ApiTags('embed')
@Controller('api/v1/embed')
export class EmbedController {
  constructor(
    private readonly keys: EmbedKeysService,
    private readonly sessions: EmbedSessionsService,
    private readonly cors: EmbedCors,
  ) {}

  @Get('keys')
  @ApiBearerAuth()
  @CheckPolicies('read', 'EmbedKey')
  @ApiOkResponse({ type: EmbedKeyListDto })
  list(): Promise<EmbedKeyListDto> {
    return this.keys.list(RequestContextStore.requireOrgId());
  }

  @Post('keys')
  @ApiBearerAuth()
  @CheckPolicies('create', 'EmbedKey')
  @ApiCreatedResponse({ type: EmbedKeyResponseDto })
  create(@Body() dto: CreateEmbedKeyDto): Promise<EmbedKeyResponseDto> {
    return this.keys.create(RequestContextStore.requireOrgId(), dto);
  }

  @Delete('keys/:keyId')
  @HttpCode(204)
  @ApiBearerAuth()
  @CheckPolicies('delete', 'EmbedKey')
  remove(@Param('keyId') id: string): Promise<void> {
    return this.keys.remove(RequestContextStore.requireOrgId(), id);
  }

  @Get('settings')
  @ApiBearerAuth()
  @CheckPolicies('read', 'EmbedKey')
  @ApiOkResponse({ type: EmbedSettingsDto })
  async settings(): Promise<EmbedSettingsDto> {
    return { allowedOrigins: await this.keys.allowedOrigins(RequestContextStore.requireOrgId()) };
  }

  @Put('settings')
  @ApiBearerAuth()
  @CheckPolicies('update', 'EmbedKey')
  @ApiOkResponse({ type: EmbedSettingsDto })
  async setSettings(@Body() dto: EmbedSettingsDto): Promise<EmbedSettingsDto> {
    const allowedOrigins = await this.keys.setAllowedOrigins(RequestContextStore.requireOrgId(), dto.allowedOrigins);
    this.cors.forget();
    return { allowedOrigins };
  }

  /** Public: the token is the credential. Rate limited per client address (refusals count as failed sign-ins). */
  @Post('sessions')
  @Public()
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({ type: EmbedSessionResponseDto })
  async open(@Body() dto: OpenEmbedSessionDto, @Req() req: Request): Promise<EmbedSessionResponseDto> {
    const { orgId, ...session } = await this.sessions.open(dto.token, req.ip ?? 'unknown');
    await this.cors.applyForOrg(req, orgId);
    return session;
  }
}
