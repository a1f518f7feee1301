import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { UuidParam } from '../../core/http/validation.js';
import { IdentityException, ProjectMemberResponseDto, SetProjectMemberDto } from '../identity/index.js';
import { TenancyException } from '../tenancy/index.js';
import { ProjectMembersAdminService } from './project-members-admin.service.js';

const ProjectId = UuidParam(() => new TenancyException('project_not_found', 'Project not found'));
const UserId = UuidParam(() => new IdentityException('user_not_found', 'User not found'));

@ApiTags('project members')
@ApiBearerAuth()
@ApiCookieAuth('session')
@Controller('api/v1/projects/:projectId/members')
export class ProjectMembersController {
  constructor(private readonly members: ProjectMembersAdminService) {}

  @Get()
  @CheckPolicies('read', 'ProjectMember', 'projectId')
  list(
    @Param('projectId', ProjectId) projectId: string,
    @Query() q: PageQueryDto,
  ): Promise<Page<ProjectMemberResponseDto>> {
    return this.members.list(projectId, q);
  }

  /** Sets the user's role in this project; inside it, the role replaces their org role (owners are never narrowed). */
  @Put(':userId')
  @CheckPolicies('update', 'ProjectMember', 'projectId')
  @ApiOkResponse({ type: ProjectMemberResponseDto })
  set(
    @Param('projectId', ProjectId) projectId: string,
    @Param('userId', UserId) userId: string,
    @Body() dto: SetProjectMemberDto,
  ): Promise<ProjectMemberResponseDto> {
    return this.members.set(projectId, userId, dto);
  }

  @Delete(':userId')
  @HttpCode(204)
  @CheckPolicies('delete', 'ProjectMember', 'projectId')
  @ApiNoContentResponse()
  remove(@Param('projectId', ProjectId) projectId: string, @Param('userId', UserId) userId: string): Promise<void> {
    return this.members.remove(projectId, userId);
  }
}
