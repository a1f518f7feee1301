import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import {
  DiffQueryDto,
  FlowDiffDto,
  FlowVersionDto,
  FlowVersionSummaryDto,
  PublishFlowDto,
  PublishedVersionDto,
  RollbackFlowDto,
} from './dto/version.dto.js';
import { FlowDiffService, parseVersionRef } from './flow-diff.service.js';
import { FlowIdPipe, VersionPipe } from './flow-params.js';
import { FlowVersionsService } from './flow-versions.service.js';

const org = () => RequestContextStore.requireOrgId();

@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/v1/flows/:flowId')
export class FlowVersionsController {
  constructor(
    private readonly versions: FlowVersionsService,
    private readonly diffs: FlowDiffService,
  ) {}

  @Post('publish')
  @CheckPolicies('publish', 'Flow')
  @ApiCreatedResponse({ type: PublishedVersionDto })
  publish(@Param('flowId', FlowIdPipe) flowId: string, @Body() dto: PublishFlowDto): Promise<PublishedVersionDto> {
    return this.versions.publish(org(), flowId, dto.message);
  }

  @Post('rollback')
  @CheckPolicies('publish', 'Flow')
  @ApiCreatedResponse({ type: PublishedVersionDto })
  rollback(@Param('flowId', FlowIdPipe) flowId: string, @Body() dto: RollbackFlowDto): Promise<PublishedVersionDto> {
    return this.versions.rollback(org(), flowId, dto.version, dto.message);
  }

  @Get('versions')
  @CheckPolicies('read', 'Flow')
  list(@Param('flowId', FlowIdPipe) flowId: string, @Query() q: PageQueryDto): Promise<Page<FlowVersionSummaryDto>> {
    return this.versions.list(org(), flowId, q);
  }

  @Get('versions/:version')
  @CheckPolicies('read', 'Flow')
  @ApiOkResponse({ type: FlowVersionDto })
  get(
    @Param('flowId', FlowIdPipe) flowId: string,
    @Param('version', VersionPipe) version: number,
  ): Promise<FlowVersionDto> {
    return this.versions.get(org(), flowId, version);
  }

  @Get('diff')
  @CheckPolicies('read', 'Flow')
  @ApiOkResponse({ type: FlowDiffDto })
  diff(@Param('flowId', FlowIdPipe) flowId: string, @Query() q: DiffQueryDto): Promise<FlowDiffDto> {
    return this.diffs.diff(org(), flowId, parseVersionRef(q.from), parseVersionRef(q.to));
  }
}
