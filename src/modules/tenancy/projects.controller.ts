import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequestContextStore } from '../../core/context/request-context.js';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { UuidParam } from '../../core/http/validation.js';
import { CreateProjectDto, ProjectResponseDto, UpdateProjectDto } from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';
import { TenancyException } from './tenancy.exception.js';

const ProjectId = UuidParam(() => new TenancyException('project_not_found', 'Project not found'));

@ApiTags('projects')
@ApiBearerAuth()
@Controller('api/v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @CheckPolicies('read', 'Project')
  list(@Query() q: PageQueryDto): Promise<Page<ProjectResponseDto>> {
    return this.projects.list(RequestContextStore.requireOrgId(), q);
  }

  @Post()
  @CheckPolicies('create', 'Project')
  @ApiCreatedResponse({ type: ProjectResponseDto })
  create(@Body() dto: CreateProjectDto): Promise<ProjectResponseDto> {
    return this.projects.create(RequestContextStore.requireOrgId(), dto);
  }

  @Get(':projectId')
  @CheckPolicies('read', 'Project', 'projectId')
  @ApiOkResponse({ type: ProjectResponseDto })
  get(@Param('projectId', ProjectId) id: string): Promise<ProjectResponseDto> {
    return this.projects.get(RequestContextStore.requireOrgId(), id);
  }

  @Patch(':projectId')
  @CheckPolicies('update', 'Project', 'projectId')
  @ApiOkResponse({ type: ProjectResponseDto })
  update(@Param('projectId', ProjectId) id: string, @Body() dto: UpdateProjectDto): Promise<ProjectResponseDto> {
    return this.projects.update(RequestContextStore.requireOrgId(), id, dto);
  }

  @Delete(':projectId')
  @HttpCode(204)
  @CheckPolicies('delete', 'Project', 'projectId')
  remove(@Param('projectId', ProjectId) id: string): Promise<void> {
    return this.projects.remove(RequestContextStore.requireOrgId(), id);
  }
}
