import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { CreateRoleDto, RoleResponseDto, UpdateRoleDto } from '../identity/index.js';
import { RolesAdminService } from './roles-admin.service.js';

const roleParam = ApiParam({
  name: 'roleId',
  description: 'A custom role id, or a built-in role name (owner, admin, editor, viewer)',
});

@ApiTags('roles')
@ApiBearerAuth()
@ApiCookieAuth('session')
@Controller('api/v1/roles')
export class RolesController {
  constructor(private readonly roles: RolesAdminService) {}

  @Get()
  @CheckPolicies('read', 'Role')
  list(@Query() q: PageQueryDto): Promise<Page<RoleResponseDto>> {
    return this.roles.list(q);
  }

  @Post()
  @CheckPolicies('create', 'Role')
  @ApiCreatedResponse({ type: RoleResponseDto })
  create(@Body() dto: CreateRoleDto): Promise<RoleResponseDto> {
    return this.roles.create(dto);
  }

  @Get(':roleId')
  @CheckPolicies('read', 'Role', 'roleId')
  @roleParam
  @ApiOkResponse({ type: RoleResponseDto })
  get(@Param('roleId') id: string): Promise<RoleResponseDto> {
    return this.roles.get(id);
  }

  @Patch(':roleId')
  @CheckPolicies('update', 'Role', 'roleId')
  @roleParam
  @ApiOkResponse({ type: RoleResponseDto })
  update(@Param('roleId') id: string, @Body() dto: UpdateRoleDto): Promise<RoleResponseDto> {
    return this.roles.update(id, dto);
  }

  /** Refused while users, keys or project members hold the role. */
  @Delete(':roleId')
  @HttpCode(204)
  @CheckPolicies('delete', 'Role', 'roleId')
  @roleParam
  @ApiNoContentResponse()
  remove(@Param('roleId') id: string): Promise<void> {
    return this.roles.remove(id);
  }
}
