import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { NoStore } from '../../core/http/decorators.js';
import { CheckPolicies } from '../../core/http/policies.js';
import { AuthzCheckDto, AuthzCheckResponseDto, MeResponseDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { AuthzCheckService } from './authz-check.service.js';

// Every org principal holds `read Org` (see rules.ts baseline), so these answer for anyone authenticated.
@ApiTags('auth')
@ApiBearerAuth()
@ApiCookieAuth('session')
@Controller('api/v1')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly authz: AuthzCheckService,
  ) {}

  /** Who the caller is, their roles and effective permissions; for sessions also the CSRF token. */
  @Get('auth/me')
  @NoStore()
  @CheckPolicies('read', 'Org')
  @ApiOkResponse({ type: MeResponseDto })
  me(): Promise<MeResponseDto> {
    return this.auth.me();
  }

  @Post('auth/logout')
  @HttpCode(204)
  @CheckPolicies('read', 'Org')
  @ApiNoContentResponse()
  logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    return this.auth.logout(req, res);
  }

  /** Explains a decision: whether the caller (or, for admins, another user) may do `action` on `subject`. */
  @Post('authz/check')
  @HttpCode(200)
  @CheckPolicies('read', 'Org')
  @ApiOkResponse({ type: AuthzCheckResponseDto })
  check(@Body() dto: AuthzCheckDto): Promise<AuthzCheckResponseDto> {
    return this.authz.check(dto);
  }
}
