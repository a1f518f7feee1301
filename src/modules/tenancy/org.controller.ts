import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { CommonException } from '../../core/errors/app.exception.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { OrgResponseDto, UpdateOrgDto } from './dto/org.dto.js';
import { OrgsService } from './orgs.service.js';

@ApiTags('organization')
@ApiBearerAuth()
@Controller('api/v1/org')
export class OrgController {
  constructor(private readonly orgs: OrgsService) {}

  @Get()
  @CheckPolicies('read', 'Org')
  @ApiOkResponse({ type: OrgResponseDto })
  async get(): Promise<OrgResponseDto> {
    // Embedded sessions see their project, never the org's settings.
    if (RequestContextStore.get()?.principal?.type === 'embed')
      throw new CommonException('forbidden', 'You do not have permission for this action');
    // The operator-set egress allowlist and run limits are shown (read-only) to those who administer the org.
    const admin = RequestContextStore.get()?.ability?.can('update', 'Org') ?? false;
    return this.orgs.map(await this.orgs.get(RequestContextStore.requireOrgId()), admin);
  }

  /** Name only: `status` and `settings` (egress allowlist, run limits) belong to the platform operator (400 here). */
  @Patch()
  @CheckPolicies('update', 'Org')
  @ApiOkResponse({ type: OrgResponseDto })
  async update(@Body() dto: UpdateOrgDto): Promise<OrgResponseDto> {
    return this.orgs.map(await this.orgs.update(RequestContextStore.requireOrgId(), dto));
  }
}
