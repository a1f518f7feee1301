import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { CheckPolicies, accessibleWhere } from '../../core/http/policies.js';
import { CreateFlowDto, FlowResponseDto, UpdateFlowDto } from './dto/flow.dto.js';
import { FlowIdPipe, ProjectIdPipe } from './flow-params.js';
import { FlowsService } from './flows.service.js';

const org = () => RequestContextStore.requireOrgId();

@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/v1')
export class FlowsController {
  constructor(private readonly flows: FlowsService) {}

  @Get('projects/:projectId/flows')
  @CheckPolicies('read', 'Flow')
  list(@Param('projectId', ProjectIdPipe) projectId: string, @Query() q: PageQueryDto): Promise<Page<FlowResponseDto>> {
    return this.flows.list(org(), projectId, q, accessibleWhere('read', 'Flow'));
  }

  @Post('projects/:projectId/flows')
  @CheckPolicies('create', 'Flow')
  @ApiCreatedResponse({ type: FlowResponseDto })
  create(@Param('projectId', ProjectIdPipe) projectId: string, @Body() dto: CreateFlowDto): Promise<FlowResponseDto> {
    return this.flows.create(org(), projectId, dto);
  }

  @Get('flows/:flowId')
  @CheckPolicies('read', 'Flow')
  @ApiOkResponse({ type: FlowResponseDto })
  get(@Param('flowId', FlowIdPipe) flowId: string): Promise<FlowResponseDto> {
    return this.flows.get(org(), flowId);
  }

  @Patch('flows/:flowId')
  @CheckPolicies('update', 'Flow')
  @ApiOkResponse({ type: FlowResponseDto })
  update(@Param('flowId', FlowIdPipe) flowId: string, @Body() dto: UpdateFlowDto): Promise<FlowResponseDto> {
    return this.flows.update(org(), flowId, dto);
  }

  @Delete('flows/:flowId')
  @HttpCode(204)
  @CheckPolicies('delete', 'Flow')
  @ApiNoContentResponse({ description: 'Soft-deleted; versions and runs are kept for retention' })
  remove(@Param('flowId', FlowIdPipe) flowId: string): Promise<void> {
    return this.flows.remove(org(), flowId);
  }

  @Post('flows/:flowId/enable')
  @HttpCode(200)
  @CheckPolicies('publish', 'Flow')
  @ApiOkResponse({ type: FlowResponseDto })
  enable(@Param('flowId', FlowIdPipe) flowId: string): Promise<FlowResponseDto> {
    return this.flows.setEnabled(org(), flowId, true);
  }

  @Post('flows/:flowId/disable')
  @HttpCode(200)
  @CheckPolicies('publish', 'Flow')
  @ApiOkResponse({ type: FlowResponseDto })
  disable(@Param('flowId', FlowIdPipe) flowId: string): Promise<FlowResponseDto> {
    return this.flows.setEnabled(org(), flowId, false);
  }
}
