import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { HttpAgent } from '../utils/idp/http-agent.js';
import { TestOidcIdp } from '../utils/idp/oidc-idp.js';
import { TEST_ENCRYPTION_KEY, captureEvents, setEgressAllowlist, urlsFor } from '../utils/idp/sso-test-kit.js';

/** Issue 11 #3: OIDC discovery, JWKS, token and userinfo calls go through the org's egress guard. */
describe('SSO outbound calls and the egress guard', () => {
  let t: TestApp;
  let org: TestOrg;
  let idp: TestOidcIdp;
  let events: DomainEvent[];
  // A stand-in for an internal service (database, Redis, admin API) on loopback: it must never be reached.
  let internal: Server;
  let internalHits = 0;
  let internalUrl = '';

  const put = (body: Record<string, unknown>, verify = false) =>
    t
      .http()
      .put(`/api/v1/sso/oidc${verify ? '?verifyDiscovery=true' : ''}`)
      .set(bearer(org.ownerKey))
      .send({ enabled: true, provider: 'oidc', clientId: 'client-e', clientSecret: 'secret-e', ...body });
  const refusals = () => events.filter((e) => e.action === 'egress.refused' && e.orgId === org.id);

  beforeAll(async () => {
    t = await createTestApp({
      TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TENANTFLOW_AUTH_FAILURE_LIMIT: '100000',
    });
    events = captureEvents(t);
    org = await t.createOrg();
    idp = await new TestOidcIdp().start([
      { clientId: 'client-e', clientSecret: 'secret-e', redirectUri: urlsFor(t, org.slug).oidcCallback },
    ]);
    idp.accounts.set('erin', { email: 'erin@example.test', email_verified: true, name: 'Erin' });
    internal = createServer((_req, res) => {
      internalHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await idp.stop();
    await new Promise((resolve) => internal.close(resolve));
    await t.close();
  });

  it('refuses loopback, private and metadata issuers when saved (with or without discovery), fetching nothing', async () => {
    await setEgressAllowlist(t, org, []);
    for (const [issuer, addressClass] of [
      [internalUrl, 'loopback'],
      ['http://localhost:5432', 'loopback'],
      ['http://10.0.0.7', 'private'],
      ['http://169.254.169.254', 'cloud_metadata'],
      ['http://[::ffff:127.0.0.1]:6379', 'loopback'],
    ]) {
      for (const verify of [false, true]) {
        const before = refusals().length;
        const res = await put({ issuer }, verify);
        expect({ issuer, verify, status: res.status, code: res.body.code }).toEqual({
          issuer,
          verify,
          status: 422,
          code: 'oidc_issuer_forbidden',
        });
        expect(refusals().slice(before)).toEqual([
          expect.objectContaining({ outcome: 'denied', metadata: { source: 'oidc', addressClass } }),
        ]);
      }
    }
    expect(internalHits).toBe(0);
    expect((await t.http().get('/api/v1/sso/oidc').set(bearer(org.ownerKey)).expect(200)).body.configured).toBe(false);
    // Metadata stays refused even when its range is allowlisted (the platform route refuses such an entry; the
    // database is written directly to prove the guard does not rely on that).
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = jsonb_build_object('egressAllowlist', jsonb_build_array('169.254.0.0/16')) WHERE id = $1`,
      [org.id],
    );
    expect((await put({ issuer: 'http://169.254.169.254' })).body.code).toBe('oidc_issuer_forbidden');
    expect(JSON.stringify(refusals())).not.toMatch(/127\.0\.0\.1|169\.254|10\.0\.0\.7|::1/);
  });

  it('refuses discovery at sign-in once the allowlist no longer covers the issuer: an anonymous login fetches nothing', async () => {
    await setEgressAllowlist(t, org);
    await put({ issuer: internalUrl }).expect(200);
    await setEgressAllowlist(t, org, []);
    const before = refusals().length;
    const res = await t.http().get(`/auth/${org.slug}/oidc/login`).set('Accept', 'application/json');
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 502, code: 'idp_address_forbidden' });
    expect(internalHits).toBe(0);
    expect(refusals().slice(before)).toEqual([
      expect.objectContaining({ metadata: { source: 'oidc', addressClass: 'loopback' } }),
    ]);
  });

  it('checks again at every call: the token endpoint is refused after the allowlist is withdrawn mid-flow', async () => {
    await setEgressAllowlist(t, org);
    await put({ issuer: idp.issuer, scopes: ['openid', 'email', 'profile'] }, true).expect(200);
    const agent = new HttpAgent();
    idp.nextAccount = 'erin';
    const start = await agent.request(`${urlsFor(t, org.slug).oidcLogin}?returnTo=/api/v1/auth/me`);
    expect(start.status).toBe(302);
    const back = await agent.follow(start.location!, (u) => u.startsWith(urlsFor(t, org.slug).oidcCallback));
    await setEgressAllowlist(t, org, []);
    const seen = idp.seen.length;
    const done = await agent.request(back.location!, { headers: { accept: 'application/json' } });
    expect({ status: done.status, code: JSON.parse(done.body).code }).toEqual({
      status: 502,
      code: 'idp_address_forbidden',
    });
    expect(idp.seen.slice(seen)).toEqual([]);
  });
});
