import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { AppConfig } from '../../../../core/config/app-config.js';
import { randomToken, safeEqual } from '../../../../core/crypto/tokens.js';
import { cookiesAreSecure, readCookie } from '../../sessions/session-cookie.js';

const BINDING_RE = /^[A-Za-z0-9_-]{43}$/;

export interface BindingCookie {
  name: string;
  /** Sent only to this flow's own routes. */
  path: string;
  maxAgeMs: number;
  /**
   * The IdP answers with a cross-site form POST (SAML), which carries only SameSite=None cookies, and browsers
   * take those only when Secure: always Secure then. Browsers also accept Secure cookies from http://localhost and
   * loopback addresses, so local development works; plain http on any other host does not (the sign-in is refused).
   */
  crossSitePost: boolean;
}

/**
 * Ties a sign-in to the browser that started it (login CSRF): a random cookie whose SHA-256 the flow stores. One
 * value per browser, reused by parallel flows (two tabs) until it expires. Returns the value.
 */
export function bindBrowser(req: Request, res: Response, config: AppConfig, c: BindingCookie): string {
  const existing = readCookie(req, c.name);
  const value = existing && BINDING_RE.test(existing) ? existing : randomToken(32);
  const secure = c.crossSitePost || cookiesAreSecure(config);
  const sameSite = c.crossSitePost ? 'none' : 'lax';
  res.cookie(c.name, value, { httpOnly: true, sameSite, secure, path: c.path, maxAge: c.maxAgeMs });
  return value;
}

export function bindingHash(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time: the browser's cookie matches the hash stored with the flow. */
export function bindingMatches(value: string | undefined, hash: Buffer | null | undefined): boolean {
  return !!value && !!hash && safeEqual(bindingHash(value), hash);
}
