import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../../../core/config/app-config.js';
import { RequestContextStore } from '../../../core/context/request-context.js';
import { randomToken } from '../../../core/crypto/tokens.js';
import { Public } from '../../../core/http/decorators.js';
import { CheckPolicies } from '../../../core/http/policies.js';
import { UuidParam } from '../../../core/http/validation.js';
import { connectionNotFound } from '../connections.exception.js';
import { OAUTH_BINDING_COOKIE, OAuth2FlowService } from './oauth2-flow.service.js';

const BINDING_RE = /^[A-Za-z0-9_-]{43}$/;

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The authorization server redirects the browser here (public, like the SSO callbacks under `/auth/:orgSlug`). */
@ApiTags('connections')
@Controller('auth/:orgSlug/oauth2')
export class OAuth2CallbackController {
  constructor(private readonly flows: OAuth2FlowService) {}

  /** The state and the browser's binding cookie must match the flow started by `…/oauth2/authorize`. */
  @Get('callback')
  @Public()
  @ApiOkResponse({ description: '{connected: true, connectionId}; 400 oauth2_flow_invalid otherwise' })
  async callback(
    @Param('orgSlug') orgSlug: string,
    @Req() req: Request,
    @Query('state') state?: string,
    @Query('code') code?: string,
  ): Promise<{ connected: true; connectionId: string }> {
    const { connectionId } = await this.flows.finish(
      orgSlug,
      typeof state === 'string' ? state : undefined,
      typeof code === 'string' ? code : undefined,
      readCookie(req, OAUTH_BINDING_COOKIE),
    );
    return { connected: true, connectionId };
  }
}

/** Browser authorization of `oauth2` connections (authorization code + PKCE): the start. */
@ApiTags('connections')
@Controller('api/v1/connections')
export class OAuth2Controller {
  constructor(
    private readonly flows: OAuth2FlowService,
    private readonly config: AppConfig,
  ) {}

  /** Starts the flow: answers the connection's authorize URL (with state and PKCE challenge) and binds this browser. */
  @Post(':connectionId/oauth2/authorize')
  @HttpCode(200)
  @ApiBearerAuth()
  @CheckPolicies('update', 'Connection')
  @ApiOkResponse({ description: '{authorizationUrl}: send the browser there' })
  async authorize(
    @Param('connectionId', UuidParam(connectionNotFound)) id: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ authorizationUrl: string }> {
    const existing = readCookie(req, OAUTH_BINDING_COOKIE);
    const browser = existing && BINDING_RE.test(existing) ? existing : randomToken(32);
    const result = await this.flows.start(RequestContextStore.requireOrgId(), id, browser);
    const secure = this.config.isProduction || this.config.publicUrl().startsWith('https:');
    // Path `/`: the start (to reuse it across tabs) and the org's callback under `/auth/` both need it.
    res.cookie(OAUTH_BINDING_COOKIE, browser, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge: 10 * 60_000,
    });
    return result;
  }
}
