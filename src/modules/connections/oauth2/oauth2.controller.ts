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

/**
 * Browser authorization of `oauth2` connections (authorization code + PKCE). Registered before the connection
 * routes so `/connections/oauth2/callback` is not read as a connection id.
 */
@ApiTags('connections')
@Controller('api/v1/connections')
export class OAuth2Controller {
  constructor(
    private readonly flows: OAuth2FlowService,
    private readonly config: AppConfig,
  ) {}

  /** The authorization server redirects the browser here; the state and the binding cookie must match the flow. */
  @Get('oauth2/callback')
  @Public()
  @ApiOkResponse({ description: '{connected: true, connectionId}; 400 oauth2_flow_invalid otherwise' })
  async callback(@Req() req: Request, @Query('state') state?: string, @Query('code') code?: string): Promise<{ connected: true; connectionId: string }> {
    const { connectionId } = await this.flows.finish(typeof state === 'string' ? state : undefined, typeof code === 'string' ? code : undefined, readCookie(req, OAUTH_BINDING_COOKIE));
    return { connected: true, connectionId };
  }

  /** Starts the flow: answers the connection's authorize URL (with state and PKCE challenge) and binds this browser. */
  @Post(':connectionId/oauth2/authorize')
  @HttpCode(200)
  @ApiBearerAuth()
  @CheckPolicies('update', 'Connection')
  @ApiOkResponse({ description: '{authorizationUrl}: send the browser there' })
  async authorize(@Param('connectionId', UuidParam(connectionNotFound)) id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ authorizationUrl: string }> {
    const existing = readCookie(req, OAUTH_BINDING_COOKIE);
    const browser = existing && BINDING_RE.test(existing) ? existing : randomToken(32);
    const result = await this.flows.start(RequestContextStore.requireOrgId(), id, browser);
    const secure = this.config.isProduction || this.config.publicUrl().startsWith('https:');
    res.cookie(OAUTH_BINDING_COOKIE, browser, { httpOnly: true, sameSite: 'lax', secure, path: '/api/v1/connections/', maxAge: 10 * 60_000 });
    return result;
  }
}
