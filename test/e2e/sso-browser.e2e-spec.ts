import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { TestOidcIdp } from '../utils/idp/oidc-idp.js';
import { TestSamlIdp } from '../utils/idp/saml-idp.js';
import { TEST_ENCRYPTION_KEY, putOidc, putSaml, urlsFor } from '../utils/idp/sso-test-kit.js';

/** Chromium as .ci/browser-setup.sh finds it: CHROMIUM_PATH, else the first `chromium` (or Debian/Ubuntu alias) on PATH. */
function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
const CHROMIUM = findChromium();
const HAVE_CHROMIUM = CHROMIUM !== undefined;
if (!HAVE_CHROMIUM) console.warn('SKIP sso-browser: no chromium on PATH (install it with .ci/browser-setup.sh)');

/**
 * Real headless Chromium: follows the app's redirect to the IdP, the IdP's pages (the SAML HTTP-POST auto-submit
 * form, the OIDC authorization redirects) and the redirect back, then uses the session cookie it was given.
 * The IdPs are addressed as "localhost" and the app as 127.0.0.1, so the IdP is another site for the browser.
 */
describe.skipIf(!HAVE_CHROMIUM)('SSO in a real browser', () => {
  let t: TestApp;
  let org: TestOrg;
  let saml: TestSamlIdp;
  let oidc: TestOidcIdp;
  let browser: Browser;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    org = await t.createOrg();
    const u = urlsFor(t, org.slug);
    saml = await new TestSamlIdp('browser').start('localhost');
    saml.registeredAcs.add(u.acs);
    oidc = await new TestOidcIdp().start(
      [{ clientId: 'browser-client', clientSecret: 'browser-secret', redirectUri: u.oidcCallback }],
      'localhost',
    );
    await putSaml(t, org, {
      enabled: true,
      idpEntityId: saml.entityId,
      ssoUrl: saml.ssoUrl,
      idpCerts: [saml.keys.certPem],
      defaultRole: 'viewer',
    });
    await putOidc(t, org, {
      enabled: true,
      provider: 'oidc',
      issuer: oidc.issuer,
      clientId: 'browser-client',
      clientSecret: 'browser-secret',
      scopes: ['openid', 'email', 'profile', 'groups'],
      roleMappings: [{ group: 'builders', role: 'editor' }],
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await saml?.stop();
    await oidc?.stop();
    await t?.close();
  });

  /** Navigates to a login URL and waits for the app's own /api/v1/auth/me to load; returns what happened. */
  async function signIn(context: BrowserContext, loginUrl: string) {
    const page = await context.newPage();
    const hops: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest()) hops.push(`${r.method()} ${r.url().split('?')[0]}`);
    });
    const meUrl = `${t.url}/api/v1/auth/me`;
    const landed = page.waitForResponse((r) => r.url() === meUrl, { timeout: 20_000 });
    await page.goto(`${loginUrl}?returnTo=${encodeURIComponent('/api/v1/auth/me')}`);
    const response = await landed;
    await page.waitForURL(meUrl);
    const cookie = (await context.cookies(t.url)).find((c) => c.name === 'tenantflow_session');
    const me = await context.request.get(meUrl, { headers: { accept: 'application/json' } });
    return { hops, status: response.status(), cookie, me: { status: me.status(), body: await me.json() } };
  }

  it('SAML: redirect binding to the IdP, POST binding back, working session cookie', async () => {
    saml.nextUser = { nameId: 'browser-saml-user', email: 'browser.saml@example.test', displayName: 'Browser SAML' };
    const context = await browser.newContext();
    const r = await signIn(context, urlsFor(t, org.slug).samlLogin);
    expect(r.hops).toEqual([
      `GET ${urlsFor(t, org.slug).samlLogin}`,
      `GET ${saml.ssoUrl}`,
      `POST ${urlsFor(t, org.slug).acs}`,
      `GET ${t.url}/api/v1/auth/me`,
    ]);
    expect(r.status).toBe(200);
    expect(r.cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(r.me).toMatchObject({
      status: 200,
      body: { principal: { type: 'user', email: 'browser.saml@example.test' }, org: { id: org.id }, role: 'viewer' },
    });
    await context.close();
  });

  it('OIDC: authorization code flow through the IdP, working session cookie', async () => {
    oidc.accounts.set('dana', { email: 'dana@example.test', email_verified: true, name: 'Dana', groups: ['builders'] });
    oidc.nextAccount = 'dana';
    const context = await browser.newContext();
    const r = await signIn(context, urlsFor(t, org.slug).oidcLogin);
    expect(r.hops[0]).toBe(`GET ${urlsFor(t, org.slug).oidcLogin}`);
    expect(r.hops).toContain(`GET ${oidc.issuer}/auth`);
    expect(r.hops).toContain(`GET ${urlsFor(t, org.slug).oidcCallback}`);
    expect(r.hops.at(-1)).toBe(`GET ${t.url}/api/v1/auth/me`);
    expect(r.status).toBe(200);
    expect(r.cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(r.me).toMatchObject({
      status: 200,
      body: { principal: { email: 'dana@example.test' }, org: { id: org.id }, role: 'editor' },
    });
    await context.close();
  });
});
