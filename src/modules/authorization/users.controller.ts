import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PageQueryDto, type Page } from '../../core/http/pagination.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { UuidParam } from '../../core/http/validation.js';
import { CreateUserDto, IdentityException, UpdateUserDto, UserResponseDto } from '../identity/index.js';
import { UsersAdminService } from './users-admin.service.js';

const UserId = UuidParam(() => new IdentityException('user_not_found', 'User not found'));

@ApiTags('users')
@ApiBearerAuth()
@ApiCookieAuth('session')
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersAdminService) {}

  @Get()
  @CheckPolicies('read', 'User')
  list(@Query() q: PageQueryDto): Promise<Page<UserResponseDto>> {
    return this.users.list(q);
  }

  @Post()
  @CheckPolicies('create', 'User')
  @ApiCreatedResponse({ type: UserResponseDto })
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Get(':userId')
  @CheckPolicies('read', 'User', 'userId')
  @ApiOkResponse({ type: UserResponseDto })
  get(@Param('userId', UserId) id: string): Promise<UserResponseDto> {
    return this.users.get(id);
  }

  @Patch(':userId')
  @CheckPolicies('update', 'User', 'userId')
  @ApiOkResponse({ type: UserResponseDto })
  update(@Param('userId', UserId) id: string, @Body() dto: UpdateUserDto): Promise<UserResponseDto> {
    return this.users.update(id, dto);
  }

  /** Deactivates the user: their sessions and every API key on their authority are revoked. */
  @Delete(':userId')
  @HttpCode(204)
  @CheckPolicies('delete', 'User', 'userId')
  @ApiNoContentResponse()
  deactivate(@Param('userId', UserId) id: string): Promise<void> {
    return this.users.deactivate(id);
  }
}
