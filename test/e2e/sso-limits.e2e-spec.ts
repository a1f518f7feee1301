import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { registeredRoutes } from '../utils/routes.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { TestSamlIdp } from '../utils/idp/saml-idp.js';
import { TEST_ENCRYPTION_KEY, captureEvents, putSaml } from '../utils/idp/sso-test-kit.js';

describe('SSO sign-in availability and limits', () => {
  let t: TestApp;
  let idp: TestSamlIdp;
  let events: DomainEvent[];
  const json = { Accept: 'application/json' };

  const configure = (org: TestOrg, enabled = true) =>
    putSaml(t, org, {
      enabled,
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      idpCerts: [idp.keys.certPem],
      defaultRole: 'viewer',
    });

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, TENANTFLOW_AUTH_FAILURE_LIMIT: '1000' });
    events = captureEvents(t);
    idp = await new TestSamlIdp('limits').start();
  });
  afterAll(async () => {
    await idp.stop();
    await t.close();
  });

  it('answers unknown orgs and orgs without enabled SSO alike (404)', async () => {
    const org = await t.createOrg();
    for (const path of [
      `/auth/no-such-org/saml/login`,
      `/auth/${org.slug}/saml/login`,
      `/auth/${org.slug}/oidc/login`,
      `/auth/Bad_Slug!/oidc/callback`,
    ]) {
      const res = await t.http().get(path).set(json);
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 404,
        code: 'sso_not_available',
      });
    }
    await configure(org, false);
    expect((await t.http().get(`/auth/${org.slug}/saml/login`).set(json)).status).toBe(404);
    await configure(org, true);
    expect((await t.http().get(`/auth/${org.slug}/saml/login`).set(json)).status).toBe(302);
  });

  it('refuses every sign-in route of a suspended org and records it', async () => {
    const org = await t.createOrg();
    await configure(org);
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${org.id}`)
      .set(bearer(t.platformKey))
      .send({ status: 'suspended' })
      .expect(200);
    // Every route under /auth/:orgSlug/ the router serves (so a sign-in route added later is walked too), but the
    // SP metadata, which signs nobody in.
    // The connections' OAuth2 callback lives under /auth/:orgSlug/ too but signs nobody in: refused as suspended
    // below, without an auth.login entry.
    const signIn = registeredRoutes(t.server).filter(
      (r) =>
        r.path.startsWith('/auth/:orgSlug/') && !r.path.endsWith('/metadata') && !r.path.endsWith('/oauth2/callback'),
    );
    expect(signIn.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'GET /auth/:orgSlug/saml/login',
        'POST /auth/:orgSlug/saml/acs',
        'GET /auth/:orgSlug/oidc/login',
        'GET /auth/:orgSlug/oidc/callback',
      ]),
    );
    for (const r of signIn) {
      const path = r.path.replace(':orgSlug', org.slug);
      const res =
        r.method === 'POST'
          ? await t.http().post(path).set(json).type('form').send({ SAMLResponse: 'PHg+' })
          : await t.http()[r.method.toLowerCase() as 'get'](`${path}?state=s&code=c`).set(json);
      expect({ route: `${r.method} ${r.path}`, status: res.status, code: res.body.code }).toEqual({
        route: `${r.method} ${r.path}`,
        status: 403,
        code: 'org_suspended',
      });
    }
    const refusals = events.filter((e) => e.orgId === org.id && e.action === 'auth.login').map((e) => e.reason);
    expect(refusals).toEqual(signIn.map(() => 'org_suspended'));
    const oauth2 = await t.http().get(`/auth/${org.slug}/oauth2/callback?state=s&code=c`).set(json);
    expect({ status: oauth2.status, code: oauth2.body.code }).toEqual({ status: 403, code: 'org_suspended' });
  });
});

describe('SSO failed sign-in limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, TENANTFLOW_AUTH_FAILURE_LIMIT: '3' });
  });
  afterAll(() => t.close());

  it('limits failed sign-ins per client address (429 with Retry-After)', async () => {
    const org = await t.createOrg();
    const idp = await new TestSamlIdp('limit').start();
    await putSaml(t, org, {
      enabled: true,
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      idpCerts: [idp.keys.certPem],
      defaultRole: 'viewer',
    });
    await idp.stop();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await t
        .http()
        .post(`/auth/${org.slug}/saml/acs`)
        .set('Accept', 'application/json')
        .type('form')
        .send({ SAMLResponse: Buffer.from('<x/>').toString('base64') });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(last!.body.code).toBe('rate_limited');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.http().get(`/auth/${org.slug}/saml/login`).set('Accept', 'application/json')).status).toBe(429);
    // SP metadata is not a sign-in attempt, and API keys are not SSO: both keep answering (break-glass).
    expect((await t.http().get(`/auth/${org.slug}/saml/metadata`)).status).toBe(200);
    await t.http().get('/api/v1/projects').set(bearer(org.ownerKey)).expect(200);
  });
});
