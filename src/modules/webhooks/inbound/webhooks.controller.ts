import { All, Controller, HttpCode, Param } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../../core/http/decorators.js';
import { CommonException } from '../../../core/errors/app.exception.js';

/**
 * Documents `/hooks/:flowId` in OpenAPI. Requests never reach it: the lean webhook handler in front of Express
 * answers them (see WebhooksModule); should one arrive, it is "not found".
 */
@ApiTags('webhooks')
@Controller('hooks')
export class WebhooksController {
  @All(':flowId')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run the published version of a flow (POST, GET or PUT, as the trigger allows)',
    description: 'Authenticated by the trigger settings (none, header, basic, hmac). `?wait=true` answers with the flow response; ' +
      'otherwise 202 {runId}. A failed waiting run answers 502 run_failed; one still running at the wait limit 504 run_still_running.',
  })
  @ApiAcceptedResponse({ description: '{ runId }' })
  trigger(@Param('flowId') _flowId: string): never {
    throw new CommonException('not_found', 'Not found');
  }
}
