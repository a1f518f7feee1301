import type { Server } from 'node:http';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from '../../../core/config/app-config.js';

export interface OrgSsoUrls {
  samlEntityId: string;
  samlAcsUrl: string;
  samlMetadataUrl: string;
  samlLoginUrl: string;
  oidcRedirectUri: string;
  oidcLoginUrl: string;
}

/**
 * Every URL handed to an IdP, built from TENANTFLOW_PUBLIC_URL (or, without it, the address actually listened on,
 * as `startServer` reports it). Never from the request's Host header.
 */
@Injectable()
export class SsoUrls {
  constructor(
    private readonly config: AppConfig,
    private readonly adapter: HttpAdapterHost,
  ) {}

  base(): string {
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    const address = server?.address();
    return this.config.publicUrl(address && typeof address === 'object' ? address.port : undefined);
  }

  forOrg(slug: string): OrgSsoUrls {
    const root = `${this.base()}/auth/${encodeURIComponent(slug)}`;
    return {
      samlEntityId: `${root}/saml/metadata`,
      samlAcsUrl: `${root}/saml/acs`,
      samlMetadataUrl: `${root}/saml/metadata`,
      samlLoginUrl: `${root}/saml/login`,
      oidcRedirectUri: `${root}/oidc/callback`,
      oidcLoginUrl: `${root}/oidc/login`,
    };
  }
}
