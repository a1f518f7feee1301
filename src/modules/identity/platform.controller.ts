import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { NoStore, PlatformOnly } from '../../core/http/decorators.js';
import { decodeCursor, pageLimit, PageQueryDto, type Page } from '../../core/http/pagination.js';
import { UuidParam } from '../../core/http/validation.js';
import { CreateOrgDto, OrgsService, SetOrgStatusDto, TenancyException, type OrgResponseDto } from '../tenancy/index.js';
import { PlatformService, type CreatedOrg } from './platform.service.js';

const OrgId = UuidParam(() => new TenancyException('org_not_found', 'Organization not found'));

@ApiTags('platform')
@ApiBearerAuth()
@PlatformOnly()
@Controller('api/v1/platform/orgs')
export class PlatformController {
  constructor(
    private readonly platform: PlatformService,
    private readonly orgs: OrgsService,
  ) {}

  @Post()
  @NoStore()
  create(@Body() dto: CreateOrgDto): Promise<CreatedOrg> {
    return this.platform.createOrg(dto, { type: 'platform', id: RequestContextStore.get()!.principal!.id });
  }

  @Get()
  list(@Query() q: PageQueryDto): Promise<Page<OrgResponseDto>> {
    return this.orgs.listAll(pageLimit(q), decodeCursor(q.cursor));
  }

  @Patch(':orgId')
  async patch(@Param('orgId', OrgId) orgId: string, @Body() dto: SetOrgStatusDto): Promise<OrgResponseDto> {
    return this.orgs.map(await this.orgs.patchAsPlatform(orgId, dto), true);
  }
}
