import { Body, Controller, Get, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequestContextStore } from '../../core/context/request-context.js';
import type { Page } from '../../core/http/pagination.js';
import { PlatformOnly } from '../../core/http/decorators.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { Database } from '../../core/database/database.js';
import { AuditExportService } from './audit-export.service.js';
import { AuditQueryService } from './audit-query.service.js';
import { AuditSettingsService } from './audit-settings.service.js';
import { verifyForApi } from './audit-verify.js';
import {
  AuditEventPageDto,
  AuditVerifyResponseDto,
  type AuditEventResponseDto,
} from './dto/audit-event.response.dto.js';
import { AuditExportQueryDto, AuditQueryDto } from './dto/audit-query.dto.js';
import { AuditSettingsResponseDto, UpdateAuditSettingsDto } from './dto/audit-settings.dto.js';

const orgId = (): string => RequestContextStore.requireOrgId();

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly exporter: AuditExportService,
    private readonly db: Database,
  ) {}

  @Get()
  @CheckPolicies('read', 'AuditEvent')
  @ApiOkResponse({ type: AuditEventPageDto })
  list(@Query() q: AuditQueryDto): Promise<Page<AuditEventResponseDto>> {
    return this.query.list(orgId(), q);
  }

  @Get('export')
  @CheckPolicies('export', 'AuditEvent')
  @ApiProduces('application/x-ndjson', 'text/csv')
  export(@Query() q: AuditExportQueryDto, @Res() res: Response): Promise<void> {
    return this.exporter.stream(orgId(), q, res);
  }

  @Get('verify')
  @CheckPolicies('read', 'AuditEvent')
  @ApiOkResponse({ type: AuditVerifyResponseDto })
  verify(): Promise<AuditVerifyResponseDto> {
    return verifyForApi(this.db, orgId());
  }
}

/** The platform chain (events without an org), for the platform operator only. */
@ApiTags('platform')
@ApiBearerAuth()
@PlatformOnly()
@Controller('api/v1/platform/audit-events')
export class PlatformAuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly db: Database,
  ) {}

  @Get()
  @ApiOkResponse({ type: AuditEventPageDto })
  list(@Query() q: AuditQueryDto): Promise<Page<AuditEventResponseDto>> {
    return this.query.listPlatform(q);
  }

  @Get('verify')
  @ApiOkResponse({ type: AuditVerifyResponseDto })
  verify(): Promise<AuditVerifyResponseDto> {
    return verifyForApi(this.db, 'platform');
  }
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit-settings')
export class AuditSettingsController {
  constructor(private readonly settings: AuditSettingsService) {}

  @Get()
  @CheckPolicies('read', 'AuditEvent')
  @ApiOkResponse({ type: AuditSettingsResponseDto })
  get(): Promise<AuditSettingsResponseDto> {
    return this.settings.get(orgId());
  }

  @Put()
  @CheckPolicies('configure', 'AuditEvent')
  @ApiOkResponse({ type: AuditSettingsResponseDto })
  update(@Body() dto: UpdateAuditSettingsDto): Promise<AuditSettingsResponseDto> {
    return this.settings.update(orgId(), dto);
  }
}
