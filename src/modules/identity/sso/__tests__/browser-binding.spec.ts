import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../../../core/config/app-config.js';
import { bindBrowser, bindingHash, bindingMatches } from '../login/browser-binding.js';

function fakeResponse() {
  const set: { name: string; value: string; options: Record<string, unknown> }[] = [];
  const res = {
    cookie: (name: string, value: string, options: Record<string, unknown>) => set.push({ name, value, options }),
  } as unknown as Response;
  return { res, set };
}
const request = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as Request;
const cookie = (crossSitePost: boolean) => ({ name: 'b', path: '/auth/acme/saml', maxAgeMs: 600_000, crossSitePost });

describe('browser binding cookie', () => {
  it('is SameSite=None and Secure for a cross-site POST (even over http: browsers allow it on loopback), else Lax and Secure on https only', () => {
    const https = AppConfig.fromEnv({ TENANTFLOW_PUBLIC_URL: 'https://flows.example.com' });
    const http = AppConfig.fromEnv({ TENANTFLOW_PUBLIC_URL: 'http://localhost:3000' });
    const a = fakeResponse();
    bindBrowser(request(), a.res, https, cookie(true));
    expect(a.set[0].options).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'none',
      path: '/auth/acme/saml',
      maxAge: 600_000,
    });
    const b = fakeResponse();
    bindBrowser(request(), b.res, https, cookie(false));
    expect(b.set[0].options).toMatchObject({ secure: true, sameSite: 'lax' });
    const c = fakeResponse();
    bindBrowser(request(), c.res, http, cookie(true));
    expect(c.set[0].options).toMatchObject({ secure: true, sameSite: 'none' });
    const d = fakeResponse();
    bindBrowser(request(), d.res, http, cookie(false));
    expect(d.set[0].options).toMatchObject({ secure: false, sameSite: 'lax' });
  });

  it('reuses a well-formed value, replaces anything else, and matches only its own hash', () => {
    const config = AppConfig.fromEnv({});
    const first = fakeResponse();
    const value = bindBrowser(request(), first.res, config, cookie(true));
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(bindBrowser(request(`b=${value}`), fakeResponse().res, config, cookie(true))).toBe(value);
    expect(bindBrowser(request('b=short'), fakeResponse().res, config, cookie(true))).not.toBe('short');
    expect(bindingMatches(value, bindingHash(value))).toBe(true);
    expect(bindingMatches(`${value.slice(1)}x`, bindingHash(value))).toBe(false);
    expect(bindingMatches(undefined, bindingHash(value))).toBe(false);
    expect(bindingMatches(value, null)).toBe(false);
  });
});
