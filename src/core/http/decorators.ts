import { Header, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tenantflow:public';
export const IS_PLATFORM = 'tenantflow:platform';

/** Route needs no credential (health, docs, sign-in flows, webhooks authenticated by their own rules). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Route is for the platform operator key only; org credentials are refused. */
export const PlatformOnly = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PLATFORM, true);

/**
 * `Cache-Control: no-store` for answers that carry a secret (a new or rotated key, an org's owner key, a CSRF token):
 * no browser, proxy or CDN cache may keep a copy.
 */
export const NoStore = (): MethodDecorator => Header('Cache-Control', 'no-store');
