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
    // The metadata names the slug's own URLs and a fresh random ID; everything else must be byte for byte the same.
    return {
      status: res.status,
      type: res.headers['content-type'],
      body: res.text.replaceAll(slug, '<slug>').replace(/ ID="_[0-9a-f]+"/, ' ID="<random>"'),
    };
  };

  it('answers an unknown slug, an org without SAML, a suspended org and a SAML org alike', async () => {
    const plain = await t.createOrg();
    const suspended = await t.createOrg();
    const withSaml = await t.createOrg();
    await putSaml(t, withSaml, {
      enabled: true,
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      idpCerts: [idp.keys.certPem],
      defaultRole: 'viewer',
    });
    await putSaml(t, suspended, {
      enabled: true,
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      idpCerts: [idp.keys.certPem],
      defaultRole: 'viewer',
    });
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${suspended.id}`)
      .set(bearer(t.platformKey))
      .send({ status: 'suspended' })
      .expect(200);
    for (const accept of ['application/json', 'text/html', '*/*']) {
      const unknown = await answer(uniqueSlug('nobody'), accept);
      expect(unknown.status).toBe(200);
      expect(unknown.type).toContain('application/samlmetadata+xml');
      expect(unknown.body).toContain('entityID="http://127.0.0.1:');
      for (const org of [plain, suspended, withSaml])
        expect(await answer(org.slug, accept), `${org.slug} ${accept}`).toEqual(unknown);
    }
    // Only a malformed slug is refused, and that says nothing about any org.
    expect((await t.http().get('/auth/Not_A_Slug/saml/metadata').set('Accept', 'application/json')).status).toBe(404);
  });
});
