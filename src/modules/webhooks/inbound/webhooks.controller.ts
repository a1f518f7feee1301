import { Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../../core/http/decorators.js';
import { CommonException } from '../../../core/errors/app.exception.js';

const OPERATION = {
  description:
    'Runs the published version of an enabled flow if its webhook trigger allows this method (`methods`, default POST). ' +
    'Authenticated by the trigger settings (none, header, basic, hmac). `?wait=true` answers with the flow response; ' +
    'otherwise 202 {runId}. A failed waiting run answers 502 run_failed {runId, runStatus, error}; one still running at the wait limit 504 run_still_running. ' +
    'Bodies follow the API rules (415 for a content coding or a non-UTF-8 JSON charset, 413 over the size limit, 400 for deep or oversized JSON structures).',
};

/**
 * Documents `/hooks/:flowId` in OpenAPI with exactly the methods the lean webhook handler in front of Express serves
 * (GET, POST, PUT; see WebhooksModule). Requests never reach these handlers; should one arrive, it is "not found".
 */
@ApiTags('webhooks')
@Public()
@Controller('hooks')
export class WebhooksController {
  @Post(':flowId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Trigger a flow (POST)', ...OPERATION })
  @ApiAcceptedResponse({ description: '{ runId }' })
  triggerPost(@Param('flowId') _flowId: string): never {
    throw notServedHere();
  }

  @Get(':flowId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Trigger a flow (GET, when the trigger allows it)', ...OPERATION })
  @ApiAcceptedResponse({ description: '{ runId }' })
  triggerGet(@Param('flowId') _flowId: string): never {
    throw notServedHere();
  }

  @Put(':flowId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Trigger a flow (PUT, when the trigger allows it)', ...OPERATION })
  @ApiAcceptedResponse({ description: '{ runId }' })
  triggerPut(@Param('flowId') _flowId: string): never {
    throw notServedHere();
  }
}

const notServedHere = (): CommonException => new CommonException('not_found', 'Not found');
