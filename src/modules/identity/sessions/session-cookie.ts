import type { CookieOptions, Request } from 'express';
import type { AppConfig } from '../../../core/config/app-config.js';

/** The browser session cookie (API.md "Credentials"). */
export const SESSION_COOKIE = 'tenantflow_session';

/** Our cookies are Secure in production, or behind an https public URL. */
export function cookiesAreSecure(config: AppConfig): boolean {
  return config.isProduction || (config.optional('TENANTFLOW_PUBLIC_URL') ?? '').startsWith('https:');
}

/** HttpOnly, SameSite=Lax, Path=/, Secure (see cookiesAreSecure), expiring with the session. */
export function sessionCookieOptions(config: AppConfig, expiresAt: Date): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: cookiesAreSecure(config), path: '/', expires: expiresAt };
}

/** Options that clear the cookie (same attributes, expired). */
export function clearedSessionCookieOptions(config: AppConfig): CookieOptions {
  return { ...sessionCookieOptions(config, new Date(0)), expires: new Date(0) };
}

/**
 * One cookie's value by name, or undefined: the first occurrence, surrounding quotes removed, percent-decoded (as
 * Express's `res.cookie` encodes). A value that does not decode is treated as absent. Parsed by hand: the app has no
 * cookie parser and only its own cookies (session, SSO browser binding) matter. Every cookie reader uses this one.
 */
export function readCookie(req: Pick<Request, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(
        value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value,
      );
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The session cookie's value, or undefined. */
export function readSessionCookie(req: Pick<Request, 'headers'>): string | undefined {
  return readCookie(req, SESSION_COOKIE);
}
