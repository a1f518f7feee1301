import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiConsumes,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSeeOtherResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../../../core/http/decorators.js';
import { OidcFlowService } from '../oidc/oidc-flow.service.js';
import { SamlFlowService } from '../saml/saml-flow.service.js';

const RETURN_TO = {
  name: 'returnTo',
  required: false,
  description: 'Relative path to open after sign-in (default /).',
};

/** Public browser sign-in routes; the org is the URL's slug. Failures: HTML for browsers, problem+json otherwise. */
@ApiTags('sign-in')
@Public()
@Controller('auth/:orgSlug')
export class SsoAuthController {
  constructor(
    private readonly saml: SamlFlowService,
    private readonly oidc: OidcFlowService,
  ) {}

  @Get('saml/metadata')
  @ApiOperation({ summary: 'SAML SP metadata (entity ID, ACS)' })
  @ApiOkResponse({ description: 'application/samlmetadata+xml' })
  samlMetadata(@Param('orgSlug') slug: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.saml.metadata(slug, req, res);
  }

  @Get('saml/login')
  @ApiOperation({ summary: 'SP-initiated SAML sign-in (HTTP-Redirect to the IdP)' })
  @ApiQuery(RETURN_TO)
  @ApiFoundResponse({ description: 'Redirect to the IdP with a SAMLRequest' })
  samlLogin(@Param('orgSlug') slug: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.saml.login(slug, req, res);
  }

  @Post('saml/acs')
  @HttpCode(303)
  @ApiOperation({ summary: 'SAML assertion consumer service (HTTP-POST binding)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiSeeOtherResponse({ description: 'Session cookie set; redirect to returnTo' })
  @ApiResponse({ status: 401, description: 'Refused (reason code); no session' })
  @ApiResponse({ status: 413, description: 'Body above 256 KiB' })
  samlAcs(@Param('orgSlug') slug: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.saml.acs(slug, req, res);
  }

  @Get('oidc/login')
  @ApiOperation({ summary: 'OIDC / OAuth2 sign-in (authorization code with PKCE)' })
  @ApiQuery(RETURN_TO)
  @ApiFoundResponse({ description: 'Redirect to the authorization endpoint' })
  oidcLogin(@Param('orgSlug') slug: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oidc.login(slug, req, res);
  }

  @Get('oidc/callback')
  @ApiOperation({ summary: 'OIDC / OAuth2 redirect URI' })
  @ApiSeeOtherResponse({ description: 'Session cookie set; redirect to returnTo' })
  @ApiResponse({ status: 401, description: 'Refused (reason code); no session' })
  oidcCallback(@Param('orgSlug') slug: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oidc.callback(slug, req, res);
  }
}
