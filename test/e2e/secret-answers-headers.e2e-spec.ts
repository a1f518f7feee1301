import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, uniqueSlug, type TestApp, type TestOrg } from '../utils/test-app.js';

const CHROMIUM = '/usr/bin/chromium';

/** Issue 11: secrets are never cached, HSTS on https deployments, and a CSP on /docs that swagger-ui lives with. */
describe('caching and transport headers', () => {
  let t: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
  });
  afterAll(() => t.close());

  it('answers that carry a secret are Cache-Control: no-store', async () => {
    const created = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'k', role: 'viewer' })
      .expect(201);
    expect(created.body.key).toMatch(/^tfk_/);
    const rotated = await t
      .http()
      .post(`/api/v1/api-keys/${created.body.id}/rotate`)
      .set(bearer(org.ownerKey))
      .send({})
      .expect(200);
    const platform = await t
      .http()
      .post('/api/v1/platform/orgs')
      .set(bearer(t.platformKey))
      .send({ name: 'n', slug: uniqueSlug() })
      .expect(201);
    expect(platform.body.ownerApiKey.key).toMatch(/^tfk_/);
    const me = await t.http().get('/api/v1/auth/me').set(bearer(org.ownerKey)).expect(200);
    for (const [name, res] of Object.entries({ created, rotated, platform, me }))
      expect(res.headers['cache-control'], name).toBe('no-store');
    // No HSTS on a plain-http deployment (it would pin browsers to https the server does not serve).
    expect(me.headers['strict-transport-security']).toBeUndefined();
    expect(me.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('sends HSTS when TENANTFLOW_PUBLIC_URL is https', async () => {
    const https = await createTestApp({ TENANTFLOW_PUBLIC_URL: 'https://flows.example.com' });
    try {
      // The public URL names the deployment's https front; the test talks to the listener directly.
      const port = (https.server.app.getHttpServer().address() as AddressInfo).port;
      // `/hooks` is served by its own lean handler, outside Express: the same header.
      for (const path of ['/health/live', '/api/v1/org', '/docs', '/hooks/00000000-0000-7000-8000-000000000000']) {
        const res = await request(`http://127.0.0.1:${port}`).get(path);
        expect(res.headers['strict-transport-security'], path).toBe('max-age=31536000; includeSubDomains');
      }
    } finally {
      await https.close();
    }
  });

  it('serves /docs under a restrictive CSP: scripts from this origin only, no inline script', async () => {
    const res = await t.http().get('/docs').expect(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|\*|https?:)/);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const scripts = [...res.text.matchAll(/<script[^>]*src=["']([^"']+)["']/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts)
      await t
        .http()
        .get(new URL(src, `${t.url}/docs`).pathname)
        .expect(200);
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'swagger-ui renders in a real browser under that CSP, with no violation',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      });
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
        });
        await page.goto(`${t.url}/docs`);
        await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
        expect(await page.textContent('.swagger-ui .info .title')).toContain('Tenantflow API');
        expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
