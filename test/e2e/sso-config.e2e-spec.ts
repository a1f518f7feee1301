import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { selfSignedCert } from '../utils/idp/x509.js';
import {
  TEST_ENCRYPTION_KEY,
  captureEvents,
  keyWithRole,
  setEgressAllowlist,
  urlsFor,
} from '../utils/idp/sso-test-kit.js';
import type { DomainEvent } from '../../src/core/events/domain-events.js';

describe('SSO admin configuration', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let events: DomainEvent[];
  const cert = selfSignedCert().certPem;
  const saml = () => ({
    enabled: true,
    idpEntityId: 'https://idp.example/entity',
    ssoUrl: 'https://idp.example/sso',
    idpCerts: [cert],
  });
  const oidc = (extra: Record<string, unknown> = {}) => ({
    enabled: true,
    provider: 'oidc',
    issuer: 'https://issuer.example',
    clientId: 'tf-client',
    ...extra,
  });

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    events = captureEvents(t);
    a = await t.createOrg();
    b = await t.createOrg();
  });
  afterAll(() => t.close());

  it('describes the SP before anything is configured', async () => {
    const res = await t.http().get('/api/v1/sso/saml').set(bearer(a.ownerKey)).expect(200);
    const u = urlsFor(t, a.slug);
    expect(res.body).toMatchObject({
      configured: false,
      enabled: false,
      sp: { entityId: u.entityId, acsUrl: u.acs, loginUrl: u.samlLogin },
    });
    const o = await t.http().get('/api/v1/sso/oidc').set(bearer(a.ownerKey)).expect(200);
    expect(o.body).toMatchObject({ configured: false, hasClientSecret: false, rp: { redirectUri: u.oidcCallback } });
    const md = await t.http().get(`/auth/${a.slug}/saml/metadata`).expect(200);
    expect(md.text).toContain(`entityID="${u.entityId}"`);
    expect(md.text).toContain(`Location="${u.acs}"`);
  });

  it('saves SAML with several certificates and records sso.updated', async () => {
    const second = selfSignedCert().certPem;
    const res = await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(a.ownerKey))
      .send({
        ...saml(),
        idpCerts: [cert, second],
        roleMappings: [{ group: 'Admins', role: 'admin' }],
        defaultRole: 'viewer',
      })
      .expect(200);
    expect(res.body).toMatchObject({
      configured: true,
      enabled: true,
      allowIdpInitiated: false,
      groupsAttribute: 'groups',
      defaultRole: 'viewer',
    });
    expect(res.body.idpCerts).toHaveLength(2);
    const got = await t.http().get('/api/v1/sso/saml').set(bearer(a.ownerKey)).expect(200);
    expect(got.body.roleMappings).toEqual([{ group: 'Admins', role: 'admin' }]);
    const ev = events.filter((e) => e.action === 'sso.updated' && e.orgId === a.id);
    expect(ev.at(-1)?.metadata).toMatchObject({ protocol: 'saml', before: null, after: { idpCertCount: 2 } });
  });

  it('refuses certificates that do not parse, have expired or are weak, with field paths', async () => {
    const expired = selfSignedCert({
      notBefore: new Date(Date.now() - 2 * 86400_000),
      notAfter: new Date(Date.now() - 86400_000),
    }).certPem;
    const weak = selfSignedCert({ bits: 1024 }).certPem;
    const res = await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(a.ownerKey))
      .send({ ...saml(), idpCerts: ['not a cert', expired, weak] })
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['idpCerts.0', 'idpCerts.1', 'idpCerts.2']);
    await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(a.ownerKey))
      .send({ ...saml(), ssoUrl: 'ftp://idp.example/sso' })
      .expect(400);
    await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(a.ownerKey))
      .send({ ...saml(), orgId: b.id })
      .expect(400);
    await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(a.ownerKey))
      .send({ ...saml(), roleMappings: [{ group: 'x', role: 'superuser' }] })
      .expect(400);
  });

  it('stores the OIDC client secret sealed and never returns it', async () => {
    await t.http().put('/api/v1/sso/oidc').set(bearer(a.ownerKey)).send(oidc()).expect(400);
    const secret = 'super-secret-client-value';
    const res = await t
      .http()
      .put('/api/v1/sso/oidc')
      .set(bearer(a.ownerKey))
      .send(oidc({ clientSecret: secret }))
      .expect(200);
    expect(res.body).toMatchObject({ configured: true, hasClientSecret: true, scopes: ['openid', 'email', 'profile'] });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    // Updating without a secret keeps the stored one.
    const kept = await t
      .http()
      .put('/api/v1/sso/oidc')
      .set(bearer(a.ownerKey))
      .send(oidc({ clientId: 'tf-client-2' }))
      .expect(200);
    expect(kept.body).toMatchObject({ clientId: 'tf-client-2', hasClientSecret: true });
    const owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await owner.connect();
    const { rows } = await owner.query(
      `SELECT settings::text, secret_ciphertext FROM sso_config WHERE org_id = $1 AND protocol = 'oidc'`,
      [a.id],
    );
    await owner.end();
    expect(rows[0].settings).not.toContain(secret);
    // Sealed by the key ring: the org's data key, bound to this row and field.
    expect(rows[0].secret_ciphertext).toMatch(/^v2:[0-9a-f-]{36}:/);
    expect(rows[0].secret_ciphertext).not.toContain(secret);
    const ev = events.filter((e) => e.orgId === a.id && e.action === 'sso.updated');
    expect(JSON.stringify(ev)).not.toContain(secret);
  });

  it('checks discovery on request, and http issuers only outside production', async () => {
    await setEgressAllowlist(t, a);
    const res = await t
      .http()
      .put('/api/v1/sso/oidc?verifyDiscovery=true')
      .set(bearer(a.ownerKey))
      .send(oidc({ issuer: 'http://127.0.0.1:9/', clientSecret: 's' }))
      .expect(422);
    expect(res.body.code).toBe('oidc_discovery_failed');
    await t
      .http()
      .put('/api/v1/sso/oidc')
      .set(bearer(a.ownerKey))
      .send(oidc({ provider: 'google', issuer: 'https://evil.example' }))
      .expect(400);
    await t
      .http()
      .put('/api/v1/sso/oidc')
      .set(bearer(a.ownerKey))
      .send(oidc({ scopes: ['email'] }))
      .expect(400);
  });

  it('only owners may map a group to the owner role; viewers and editors cannot configure', async () => {
    const admin = await keyWithRole(t, a, 'admin');
    const res = await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(admin))
      .send({ ...saml(), roleMappings: [{ group: 'g', role: 'owner' }] })
      .expect(400);
    expect(res.body.errors[0].path).toBe('roleMappings.0.role');
    await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(admin))
      .send({ ...saml(), defaultRole: 'editor' })
      .expect(200);
    await t
      .http()
      .put('/api/v1/sso/saml')
      .set(bearer(a.ownerKey))
      .send({ ...saml(), roleMappings: [{ group: 'g', role: 'owner' }] })
      .expect(200);
    for (const role of ['viewer', 'editor']) {
      const key = await keyWithRole(t, a, role);
      await t.http().get('/api/v1/sso/saml').set(bearer(key)).expect(403);
      await t.http().put('/api/v1/sso/saml').set(bearer(key)).send(saml()).expect(403);
      await t.http().delete('/api/v1/sso/oidc').set(bearer(key)).expect(403);
    }
  });

  it("keeps each org's configuration to itself and deletes with an event", async () => {
    const other = await t.http().get('/api/v1/sso/saml').set(bearer(b.ownerKey)).expect(200);
    expect(other.body.configured).toBe(false);
    await t.http().delete('/api/v1/sso/saml').set(bearer(b.ownerKey)).expect(404);
    await t.http().delete('/api/v1/sso/saml').set(bearer(a.ownerKey)).expect(204);
    expect((await t.http().get('/api/v1/sso/saml').set(bearer(a.ownerKey)).expect(200)).body.configured).toBe(false);
    expect(events.some((e) => e.action === 'sso.deleted' && e.orgId === a.id)).toBe(true);
  });
});
