import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { accessibleWhere, CheckPolicies } from '../../core/http/policies.js';
import { UuidParam } from '../../core/http/validation.js';
import { FlowsException } from '../flows/index.js';
import { CreatedRunDto, CreateRunDto, RunDetailDto, RunSummaryDto } from './dto/run.dto.js';
import { ExecutionException } from './execution.exception.js';
import { RunsService } from './runs.service.js';
import type { RunEntity } from './runs/run.entity.js';

const FlowId = UuidParam(() => new FlowsException('flow_not_found', 'Flow not found'));
const RunId = UuidParam(() => new ExecutionException('run_not_found', 'Run not found'));
const principal = () => RequestContextStore.get()!.principal!;

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post('flows/:flowId/runs')
  @HttpCode(201)
  @CheckPolicies('run', 'Flow')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Repeating a request with the same key answers the first run',
  })
  @ApiCreatedResponse({ type: CreatedRunDto })
  create(
    @Param('flowId', FlowId) flowId: string,
    @Body() dto: CreateRunDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<CreatedRunDto> {
    return this.runs.createManual(RequestContextStore.requireOrgId(), flowId, dto, principal(), key);
  }

  @Get('flows/:flowId/runs')
  @CheckPolicies('read', 'Run')
  list(@Param('flowId', FlowId) flowId: string, @Query() q: PageQueryDto): Promise<Page<RunSummaryDto>> {
    return this.runs.list(RequestContextStore.requireOrgId(), flowId, q, accessibleWhere<RunEntity>('read', 'Run'));
  }

  @Get('runs/:runId')
  @CheckPolicies('read', 'Run')
  @ApiOkResponse({ type: RunDetailDto })
  get(@Param('runId', RunId) runId: string): Promise<RunDetailDto> {
    return this.runs.get(RequestContextStore.requireOrgId(), runId);
  }

  @Post('runs/:runId/cancel')
  @HttpCode(200)
  @CheckPolicies('update', 'Run')
  @ApiOkResponse({ type: RunSummaryDto })
  cancel(@Param('runId', RunId) runId: string): Promise<RunSummaryDto> {
    return this.runs.cancel(RequestContextStore.requireOrgId(), runId);
  }
}
