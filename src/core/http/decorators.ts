import { Header, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tenantflow:public';
export const IS_PLATFORM = 'tenantflow:platform';
export const NO_RATE_LIMIT = 'tenantflow:no-rate-limit';

/** Route needs no credential (health, docs, sign-in flows, webhooks authenticated by their own rules). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * A public route outside the per-address limit: only the health and metrics probes, which load balancers and
 * monitoring call constantly and which must keep answering while Redis is down. Every other public route is limited.
 */
export const NoRateLimit = (): MethodDecorator & ClassDecorator => SetMetadata(NO_RATE_LIMIT, true);

/** Route is for the platform operator key only; org credentials are refused. */
export const PlatformOnly = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PLATFORM, true);

/**
 * `Cache-Control: no-store` for answers that carry a secret (a new or rotated key, an org's owner key, a CSRF token):
 * no browser, proxy or CDN cache may keep a copy.
 */
export const NoStore = (): MethodDecorator => Header('Cache-Control', 'no-store');
