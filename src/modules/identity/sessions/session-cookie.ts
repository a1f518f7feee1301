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

/** The session cookie's value, or undefined. Parsed by hand: only this one cookie matters to the server. */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
