import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import type { Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { UuidParam } from '../../core/http/validation.js';
import { ConnectionTesterService, type ConnectionTestResult } from './connection-tester.service.js';
import { connectionNotFound } from './connections.exception.js';
import { ConnectionsService } from './connections.service.js';
import {
  ConnectionResponseDto,
  ConnectionTestResponseDto,
  CreateConnectionDto,
  ListConnectionsQueryDto,
  UpdateConnectionDto,
} from './dto/connection.dto.js';

const org = () => RequestContextStore.requireOrgId();
export const ConnectionIdPipe = UuidParam(connectionNotFound);

@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/v1/connections')
export class ConnectionsController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly tester: ConnectionTesterService,
  ) {}

  @Get()
  @CheckPolicies('read', 'Connection')
  list(@Query() q: ListConnectionsQueryDto): Promise<Page<ConnectionResponseDto>> {
    return this.connections.list(org(), q);
  }

  @Post()
  @CheckPolicies('create', 'Connection')
  @ApiCreatedResponse({ type: ConnectionResponseDto })
  create(@Body() dto: CreateConnectionDto): Promise<ConnectionResponseDto> {
    return this.connections.create(org(), dto);
  }

  @Get(':connectionId')
  @CheckPolicies('read', 'Connection')
  @ApiOkResponse({ type: ConnectionResponseDto })
  get(@Param('connectionId', ConnectionIdPipe) id: string): Promise<ConnectionResponseDto> {
    return this.connections.get(org(), id);
  }

  @Patch(':connectionId')
  @CheckPolicies('update', 'Connection')
  @ApiOkResponse({ type: ConnectionResponseDto })
  update(
    @Param('connectionId', ConnectionIdPipe) id: string,
    @Body() dto: UpdateConnectionDto,
  ): Promise<ConnectionResponseDto> {
    return this.connections.update(org(), id, dto);
  }

  @Delete(':connectionId')
  @HttpCode(204)
  @CheckPolicies('delete', 'Connection')
  @ApiNoContentResponse()
  remove(@Param('connectionId', ConnectionIdPipe) id: string): Promise<void> {
    return this.connections.remove(org(), id);
  }

  @Post(':connectionId/test')
  @HttpCode(200)
  @CheckPolicies('update', 'Connection')
  @ApiOkResponse({ type: ConnectionTestResponseDto })
  test(@Param('connectionId', ConnectionIdPipe) id: string): Promise<ConnectionTestResult> {
    return this.tester.test(org(), id);
  }
}
