import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, uniqueSlug, type TestApp } from '../utils/test-app.js';
import { TEST_ENCRYPTION_KEY, putSaml } from '../utils/idp/sso-test-kit.js';
import { TestSamlIdp } from '../utils/idp/saml-idp.js';

/** Issue 11: the public SP metadata route must not tell which slugs are orgs. */
describe('GET /auth/:slug/saml/metadata does not enumerate orgs', () => {
  let t: TestApp;
  let idp: TestSamlIdp;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    idp = await new TestSamlIdp('meta').start();
  });
  afterAll(async () => {
    await idp.stop();
    await t.close();
  });

  const answer = async (slug: string, accept: string) => {
    const res = await t.http().get(`/auth/${slug}/saml/metadata`).set('Accept', accept);
    const body = res.text.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<request id>');
    return { status: res.status, type: res.headers['content-type'], cache: res.headers['cache-control'], body };
  };

  it('answers an unknown slug, an org without SAML and a suspended org alike; a SAML org gets its metadata', async () => {
    const plain = await t.createOrg();
    const suspended = await t.createOrg();
    const withSaml = await t.createOrg();
    await putSaml(t, withSaml, { enabled: false, idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, idpCerts: [idp.keys.certPem], defaultRole: 'viewer' });
    await putSaml(t, suspended, { enabled: true, idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, idpCerts: [idp.keys.certPem], defaultRole: 'viewer' });
    await t.http().patch(`/api/v1/platform/orgs/${suspended.id}`).set(bearer(t.platformKey)).send({ status: 'suspended' }).expect(200);
    for (const accept of ['application/json', 'text/html', '*/*']) {
      const unknown = await answer(uniqueSlug('nobody'), accept);
      expect(unknown.status).toBe(404);
      expect(await answer(plain.slug, accept), accept).toEqual(unknown);
      expect(await answer(suspended.slug, accept), accept).toEqual(unknown);
    }
    const ok = await t.http().get(`/auth/${withSaml.slug}/saml/metadata`).expect(200);
    expect(ok.headers['content-type']).toContain('application/samlmetadata+xml');
  });
});
