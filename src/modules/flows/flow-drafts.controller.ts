import { Body, Controller, Get, Headers, Param, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequestContextStore } from '../../core/context/request-context.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { DraftResponseDto, SaveDraftDto, parseSaveDraftBody } from './dto/draft.dto.js';
import { FlowIdPipe } from './flow-params.js';
import { FlowDraftsService, type DraftWithEtag } from './flow-drafts.service.js';

const org = () => RequestContextStore.requireOrgId();

/** Moves the ETag into its header; the body is the draft. */
const withEtag =
  (res: Response) =>
  (d: DraftWithEtag): DraftResponseDto => (res.setHeader('ETag', d.etag), d.body);

@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/v1/flows/:flowId/draft')
export class FlowDraftsController {
  constructor(private readonly drafts: FlowDraftsService) {}

  @Get()
  @CheckPolicies('read', 'Flow')
  @ApiOkResponse({ type: DraftResponseDto, description: 'The draft, with its ETag header' })
  get(
    @Param('flowId', FlowIdPipe) flowId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DraftResponseDto> {
    return this.drafts.get(org(), flowId).then(withEtag(res));
  }

  @Put()
  @CheckPolicies('update', 'Flow')
  @ApiHeader({
    name: 'If-Match',
    required: true,
    description: 'ETag from GET /draft (412 draft_conflict when stale, 428 when missing)',
  })
  @ApiBody({ type: SaveDraftDto })
  @ApiOkResponse({ type: DraftResponseDto })
  save(
    @Param('flowId', FlowIdPipe) flowId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DraftResponseDto> {
    return this.drafts.save(org(), flowId, ifMatch, parseSaveDraftBody(body).definition).then(withEtag(res));
  }
}
