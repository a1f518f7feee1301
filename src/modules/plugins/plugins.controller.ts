import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { PluginConfigDto, PluginListDto } from './dto/plugin.dto.js';
import { PluginsService } from './plugins.service.js';

@ApiTags('plugins')
@ApiBearerAuth()
@Controller('api/v1/plugins')
export class PluginsController {
  constructor(private readonly plugins: PluginsService) {}

  @Get()
  @CheckPolicies('read', 'Plugin')
  @ApiOkResponse({ type: PluginListDto })
  list(): Promise<PluginListDto> {
    return this.plugins.list(RequestContextStore.requireOrgId());
  }

  @Put(':pluginName/config')
  @CheckPolicies('configure', 'Plugin')
  @ApiOkResponse({ type: PluginConfigDto })
  configure(@Param('pluginName') name: string, @Body() dto: PluginConfigDto): Promise<PluginConfigDto> {
    return this.plugins.configure(RequestContextStore.requireOrgId(), name, dto);
  }
}
