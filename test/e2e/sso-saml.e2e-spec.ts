import { inflateRawSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { SAML_BINDING_COOKIE } from '../../src/modules/identity/sso/saml/saml-flow.service.js';
import { HttpAgent } from '../utils/idp/http-agent.js';
import { TestSamlIdp, type ResponseOptions } from '../utils/idp/saml-idp.js';
import { TEST_ENCRYPTION_KEY, captureEvents, putSaml, urlsFor } from '../utils/idp/sso-test-kit.js';
import { selfSignedCert } from '../utils/idp/x509.js';

describe('SAML sign-in', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let idpA: TestSamlIdp;
  let idpB: TestSamlIdp;
  let owner: pg.Client;
  let events: DomainEvent[];

  const configure = (org: TestOrg, idp: TestSamlIdp, extra: Record<string, unknown> = {}) =>
    putSaml(t, org, {
      enabled: true,
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      idpCerts: [idp.keys.certPem],
      roleMappings: [{ group: 'tf-admins', role: 'admin' }],
      defaultRole: 'viewer',
      ...extra,
    });

  /** The browser-binding cookie of the browser that started each login, by AuthnRequest id. */
  const browsers = new Map<string, string>();

  /** Starts an SP-initiated login and returns the AuthnRequest id the server issued (as a browser would get it). */
  async function requestId(org: TestOrg, returnTo = '/'): Promise<string> {
    const agent = new HttpAgent();
    const hop = await agent.request(`${urlsFor(t, org.slug).samlLogin}?returnTo=${encodeURIComponent(returnTo)}`);
    expect(hop.status).toBe(302);
    const req = inflateRawSync(
      Buffer.from(new URL(hop.location!).searchParams.get('SAMLRequest')!, 'base64'),
    ).toString();
    const id = /\bID="([^"]+)"/.exec(req)![1];
    browsers.set(id, `${SAML_BINDING_COOKIE}=${agent.cookieValue(SAML_BINDING_COOKIE)}`);
    return id;
  }

  const base = (org: TestOrg, irt: string | null, over: Partial<ResponseOptions> = {}): ResponseOptions => ({
    user: {
      nameId: `nid-${Math.random().toString(36).slice(2)}`,
      email: `u${Math.random().toString(36).slice(2, 8)}@example.test`,
    },
    acsUrl: urlsFor(t, org.slug).acs,
    audience: urlsFor(t, org.slug).entityId,
    inResponseTo: irt,
    ...over,
  });

  /** Posts as the browser that started the login the response answers (none for an unknown or IdP-initiated one). */
  const post = (org: TestOrg, xml: string, accept = 'application/json', asBrowser?: string | null) => {
    const browser = asBrowser !== undefined ? asBrowser : browsers.get(/\bInResponseTo="([^"]+)"/.exec(xml)?.[1] ?? '');
    const req = t.http().post(`/auth/${org.slug}/saml/acs`).set('Accept', accept).type('form');
    return (browser ? req.set('Cookie', browser) : req).send({ SAMLResponse: Buffer.from(xml).toString('base64') });
  };

  async function counts(org: TestOrg): Promise<{ users: number; links: number; sessions: number }> {
    const n = async (table: string) =>
      (await owner.query(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`, [org.id])).rows[0].n as number;
    return { users: await n('app_user'), links: await n('sso_identity'), sessions: await n('app_session') };
  }

  /** Posts and expects a refusal with `reason`, no session cookie, no user or link created, and a failure event. */
  async function expectRefused(
    org: TestOrg,
    xml: string,
    reason: string,
    status = 401,
    asBrowser?: string | null,
  ): Promise<void> {
    const before = await counts(org);
    const res = await post(org, xml, 'application/json', asBrowser);
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code: reason });
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(String(res.headers['set-cookie'] ?? '')).not.toContain('tenantflow_session');
    expect(await counts(org)).toEqual(before);
    const last = events.filter((e) => e.action === 'auth.login' && e.orgId === org.id).at(-1);
    expect(last).toMatchObject({ outcome: 'failure', reason, metadata: { provider: 'saml' } });
  }

  beforeAll(async () => {
    // Many deliberate refusals from one address: lift the failed-authentication limit for this suite.
    t = await createTestApp({
      TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TENANTFLOW_AUTH_FAILURE_LIMIT: '100000',
    });
    events = captureEvents(t);
    idpA = await new TestSamlIdp('a').start();
    idpB = await new TestSamlIdp('b').start();
    a = await t.createOrg();
    b = await t.createOrg();
    idpA.registeredAcs.add(urlsFor(t, a.slug).acs);
    idpB.registeredAcs.add(urlsFor(t, b.slug).acs);
    await configure(a, idpA);
    await configure(b, idpB);
    owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await owner.connect();
  });
  afterAll(async () => {
    await owner.end();
    await idpA.stop();
    await idpB.stop();
    await t.close();
  });

  it('signs in SP-initiated: redirect binding to the IdP, POST binding back, provisioning with mapped role', async () => {
    idpA.nextUser = { nameId: 'alice-nid', email: 'alice@example.test', displayName: 'Alice', groups: ['tf-admins'] };
    const agent = new HttpAgent();
    const page = await agent.follow(
      `${urlsFor(t, a.slug).samlLogin}?returnTo=${encodeURIComponent('/api/v1/auth/me')}`,
    );
    expect(page.status).toBe(200);
    const acs = await agent.submitForm(page);
    expect(acs.status).toBe(303);
    expect(acs.location).toBe(`${t.url}/api/v1/auth/me`);
    expect(agent.cookieValue('tenantflow_session')).toBeTruthy();
    const me = await agent.request(acs.location!, { headers: { accept: 'application/json' } });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({
      principal: { type: 'user', email: 'alice@example.test' },
      org: { id: a.id },
      role: 'admin',
    });
    const { rows } = await owner.query(`SELECT provider, issuer, subject FROM sso_identity WHERE org_id = $1`, [a.id]);
    expect(rows).toContainEqual({ provider: 'saml', issuer: idpA.entityId, subject: 'alice-nid' });
    expect(events.filter((e) => e.action === 'auth.login' && e.orgId === a.id).at(-1)).toMatchObject({
      outcome: 'success',
      metadata: { provider: 'saml' },
    });
  });

  it('accepts a signed response around the signed assertion', async () => {
    const res = await post(a, idpA.response(base(a, await requestId(a, '/next'), { signResponse: true })));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/next');
  });

  it('refuses an unsigned assertion', async () => {
    await expectRefused(a, idpA.response(base(a, await requestId(a), { signAssertion: false })), 'unsigned_assertion');
    // A signed response does not make up for an unsigned assertion.
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { signAssertion: false, signResponse: true })),
      'unsigned_assertion',
    );
  });

  it('refuses a tampered assertion and a broken response signature', async () => {
    const signed = idpA.response(
      base(a, await requestId(a), { user: { nameId: 'mallory', email: 'mallory@example.test' } }),
    );
    await expectRefused(a, signed.replace('>mallory<', '>alice-nid<'), 'invalid_signature');
    const both = idpA.response(base(a, await requestId(a), { signResponse: true }));
    await expectRefused(
      a,
      both.replace(/(<samlp:Response[^>]*IssueInstant=")[^"]+/, '$12001-01-01T00:00:00Z'),
      'invalid_signature',
    );
  });

  it('refuses a signature by another key, even with that key in KeyInfo', async () => {
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { signingKey: selfSignedCert() })),
      'invalid_signature',
    );
    await expectRefused(
      a,
      idpB.response(base(a, await requestId(a), { issuer: idpA.entityId, assertionIssuer: idpA.entityId })),
      'invalid_signature',
    );
  });

  it('refuses SHA-1 signatures', async () => {
    await expectRefused(a, idpA.response(base(a, await requestId(a), { sha1: true })), 'weak_algorithm');
  });

  it('refuses a wrong audience, Recipient, Destination or Issuer', async () => {
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { audience: urlsFor(t, b.slug).entityId })),
      'audience_mismatch',
    );
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { recipient: urlsFor(t, b.slug).acs })),
      'recipient_mismatch',
    );
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { destination: urlsFor(t, b.slug).acs })),
      'destination_mismatch',
    );
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { assertionIssuer: 'https://other.idp/metadata' })),
      'issuer_mismatch',
    );
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { issuer: 'https://other.idp/metadata' })),
      'issuer_mismatch',
    );
  });

  it('refuses expired and not-yet-valid assertions', async () => {
    const old = new Date(Date.now() - 20 * 60_000);
    await expectRefused(
      a,
      idpA.response(
        base(a, await requestId(a), { issueInstant: old, notOnOrAfter: new Date(Date.now() - 10 * 60_000) }),
      ),
      'assertion_expired',
    );
    // Still inside NotOnOrAfter, but older than the configured maximum age (300 s).
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a), { issueInstant: old, notOnOrAfter: new Date(Date.now() + 60_000) })),
      'assertion_expired',
    );
    const future = new Date(Date.now() + 10 * 60_000);
    await expectRefused(
      a,
      idpA.response(
        base(a, await requestId(a), {
          issueInstant: future,
          notBefore: future,
          notOnOrAfter: new Date(Date.now() + 20 * 60_000),
        }),
      ),
      'assertion_not_yet_valid',
    );
  });

  it('refuses unsolicited responses unless the org allows IdP-initiated sign-in', async () => {
    await expectRefused(a, idpA.response(base(a, null)), 'unsolicited_response');
    await expectRefused(a, idpA.response(base(a, '_made-up-request-id')), 'unknown_request');
  });

  it('refuses a replayed response, and a request id used twice', async () => {
    const id = await requestId(a, '/once');
    const xml = idpA.response(base(a, id));
    expect((await post(a, xml)).status).toBe(303);
    await expectRefused(a, xml, 'replayed_assertion');
    await expectRefused(a, idpA.response(base(a, id)), 'unknown_request');
  });

  it('lets exactly one of two simultaneous posts of the same response through', async () => {
    const xml = idpA.response(base(a, await requestId(a)));
    const before = await counts(a);
    const results = await Promise.all([post(a, xml), post(a, xml)]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 401]);
    expect((await counts(a)).sessions).toBe(before.sessions + 1);
  });

  it("refuses an InResponseTo issued for another org's request", async () => {
    const idForB = await requestId(b);
    await expectRefused(a, idpA.response(base(a, idForB)), 'unknown_request');
  });

  it('refuses a valid response posted from another browser or with no binding cookie (login CSRF), and burns its request', async () => {
    // The attacker's own, valid response, posted from the victim's browser (which started a login of its own).
    const attackers = await requestId(a);
    const victims = await requestId(a);
    const xml = idpA.response(base(a, attackers));
    await expectRefused(a, xml, 'browser_mismatch', 401, browsers.get(victims)!);
    await expectRefused(a, idpA.response(base(a, attackers)), 'unknown_request');
    const unbound = idpA.response(base(a, await requestId(a)));
    await expectRefused(a, unbound, 'browser_mismatch', 401, null);
    await expectRefused(
      a,
      idpA.response(base(a, await requestId(a))),
      'browser_mismatch',
      401,
      `${SAML_BINDING_COOKIE}=${'x'.repeat(43)}`,
    );
    // The browser that started the login still signs in.
    expect((await post(a, idpA.response(base(a, victims)))).status).toBe(303);
  });

  it('sets the binding cookie HttpOnly, Secure and SameSite=None (the IdP posts cross-site) on the SAML routes only', async () => {
    const hop = await new HttpAgent().request(urlsFor(t, a.slug).samlLogin);
    const cookie = hop.headers.getSetCookie().find((c) => c.startsWith(`${SAML_BINDING_COOKIE}=`))!;
    expect(cookie).toMatch(new RegExp(`Path=/auth/${a.slug}/saml;`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=None');
  });

  it('refuses a DOCTYPE before any signature check, and an oversized body', async () => {
    const xml = idpA.response(base(a, await requestId(a)));
    await expectRefused(a, `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>${xml}`, 'doctype_forbidden');
    const before = await counts(a);
    const big = await t
      .http()
      .post(`/auth/${a.slug}/saml/acs`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ SAMLResponse: 'A'.repeat(300 * 1024) });
    expect({ status: big.status, code: big.body.code }).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await counts(a)).toEqual(before);
    const asJson = await t
      .http()
      .post(`/auth/${a.slug}/saml/acs`)
      .set('Accept', 'application/json')
      .send({ SAMLResponse: Buffer.from(xml).toString('base64') });
    expect({ status: asJson.status, code: asJson.body.code }).toEqual({ status: 400, code: 'invalid_request' });
  });

  it('refuses wrapped or transient-subject assertions', async () => {
    const xml = idpA.response(base(a, await requestId(a)));
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    await expectRefused(a, xml.replace('</samlp:Response>', `${assertion}</samlp:Response>`), 'malformed_response');
    const transient = {
      nameId: 'tmp-1',
      email: 'tmp@example.test',
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    };
    await expectRefused(a, idpA.response(base(a, await requestId(a), { user: transient })), 'transient_name_id');
  });

  it("cross-org: org A's valid assertion posted to org B's ACS is refused", async () => {
    // As issued for A (A's ACS and audience), posted to B.
    await expectRefused(b, idpA.response(base(a, await requestId(a))), 'destination_mismatch');
    // Re-addressed to B by someone holding A's IdP key: B trusts only its own IdP.
    await expectRefused(
      b,
      idpA.response({ ...base(b, await requestId(b)), issuer: idpB.entityId, assertionIssuer: idpB.entityId }),
      'invalid_signature',
    );
  });

  it('renders an HTML page for browsers with the same status and reason', async () => {
    const res = await post(a, idpA.response(base(a, null)), 'text/html');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.text).toContain('unsolicited_response');
  });

  it('accepts IdP-initiated sign-in when enabled, once per assertion', async () => {
    await configure(a, idpA, { allowIdpInitiated: true });
    const xml = idpA.response(base(a, null));
    const ok = await t
      .http()
      .post(`/auth/${a.slug}/saml/acs`)
      .type('form')
      .send({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: '//evil.example' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    await expectRefused(a, xml, 'replayed_assertion');
    await configure(a, idpA);
  });
});
