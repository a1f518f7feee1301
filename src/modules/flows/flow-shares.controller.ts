import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { FlowShareResponseDto, SetFlowShareDto } from './dto/share.dto.js';
import { FlowIdPipe, UserIdPipe } from './flow-params.js';
import { FlowSharesService } from './flow-shares.service.js';

const org = () => RequestContextStore.requireOrgId();

@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/v1/flows/:flowId/shares')
export class FlowSharesController {
  constructor(private readonly shares: FlowSharesService) {}

  @Get()
  @CheckPolicies('read', 'Flow')
  list(@Param('flowId', FlowIdPipe) flowId: string): Promise<{ items: FlowShareResponseDto[] }> {
    return this.shares.list(org(), flowId);
  }

  @Put(':userId')
  @CheckPolicies('manage', 'Flow')
  @ApiOkResponse({ type: FlowShareResponseDto })
  set(
    @Param('flowId', FlowIdPipe) flowId: string,
    @Param('userId', UserIdPipe) userId: string,
    @Body() dto: SetFlowShareDto,
  ): Promise<FlowShareResponseDto> {
    return this.shares.set(org(), flowId, userId, dto.role);
  }

  @Delete(':userId')
  @HttpCode(204)
  @CheckPolicies('manage', 'Flow')
  remove(@Param('flowId', FlowIdPipe) flowId: string, @Param('userId', UserIdPipe) userId: string): Promise<void> {
    return this.shares.remove(org(), flowId, userId);
  }
}
