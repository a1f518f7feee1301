import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { createUser } from '../utils/sessions.js';
import { HttpAgent, type Hop } from '../utils/idp/http-agent.js';
import { TestOidcIdp } from '../utils/idp/oidc-idp.js';
import { TEST_ENCRYPTION_KEY, captureEvents, putOidc, urlsFor } from '../utils/idp/sso-test-kit.js';

describe('OIDC sign-in against a real OpenID Provider', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let idp: TestOidcIdp;
  let owner: pg.Client;
  let events: DomainEvent[];

  const isCallback = (org: TestOrg) => (url: string) => url.startsWith(urlsFor(t, org.slug).oidcCallback);

  /** Runs the browser side up to the IdP's redirect back to the app's callback (not followed). */
  async function toCallback(
    org: TestOrg,
    account: string,
    opts: { agent?: HttpAgent; editAuthorize?: (u: URL) => void; returnTo?: string } = {},
  ) {
    const agent = opts.agent ?? new HttpAgent();
    idp.nextAccount = account;
    const start = await agent.request(
      `${urlsFor(t, org.slug).oidcLogin}?returnTo=${encodeURIComponent(opts.returnTo ?? '/api/v1/auth/me')}`,
    );
    expect(start.status).toBe(302);
    const authorize = new URL(start.location!);
    opts.editAuthorize?.(authorize);
    const back = await agent.follow(authorize.href, isCallback(org));
    expect(back.location, back.body).toBeDefined();
    return { agent, authorize, callback: back.location! };
  }

  async function signIn(org: TestOrg, account: string): Promise<{ agent: HttpAgent; hop: Hop }> {
    const { agent, callback } = await toCallback(org, account);
    return { agent, hop: await agent.request(callback, { headers: { accept: 'application/json' } }) };
  }

  async function me(agent: HttpAgent) {
    const res = await agent.request(`${t.url}/api/v1/auth/me`, { headers: { accept: 'application/json' } });
    return { status: res.status, body: res.status === 200 ? JSON.parse(res.body) : undefined };
  }

  const userCount = async (org: TestOrg): Promise<number> =>
    (await owner.query(`SELECT count(*)::int AS n FROM app_user WHERE org_id = $1`, [org.id])).rows[0].n;

  function expectRefusal(hop: Hop, reason: string, status = 401): void {
    expect({ status: hop.status, code: JSON.parse(hop.body).code }).toEqual({ status, code: reason });
    expect(hop.headers.getSetCookie().join(';')).not.toContain('tenantflow_session');
  }

  beforeAll(async () => {
    t = await createTestApp({
      TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TENANTFLOW_AUTH_FAILURE_LIMIT: '100000',
    });
    events = captureEvents(t);
    a = await t.createOrg();
    b = await t.createOrg();
    idp = await new TestOidcIdp().start([
      { clientId: 'client-a', clientSecret: 'secret-a', redirectUri: urlsFor(t, a.slug).oidcCallback },
      { clientId: 'client-b', clientSecret: 'secret-b', redirectUri: urlsFor(t, b.slug).oidcCallback },
    ]);
    idp.accounts.set('alice', {
      email: 'alice@example.test',
      email_verified: true,
      name: 'Alice',
      groups: ['tf-editors'],
    });
    idp.accounts.set('bob', { email: 'bob@example.test', email_verified: true, name: 'Bob', groups: [] });
    const common = {
      enabled: true,
      provider: 'oidc',
      issuer: idp.issuer,
      scopes: ['openid', 'email', 'profile', 'groups'],
      linkByEmail: true,
    };
    await putOidc(t, a, {
      ...common,
      clientId: 'client-a',
      clientSecret: 'secret-a',
      roleMappings: [
        { group: 'tf-admins', role: 'admin' },
        { group: 'tf-editors', role: 'editor' },
      ],
    });
    await putOidc(t, b, { ...common, clientId: 'client-b', clientSecret: 'secret-b', defaultRole: 'viewer' });
    owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await owner.connect();
  });
  afterAll(async () => {
    await owner.end();
    await idp.stop();
    await t.close();
  });

  it('runs the code flow with PKCE S256, state and nonce, provisions the user with the mapped role', async () => {
    const { agent, authorize, callback } = await toCallback(a, 'alice');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(urlsFor(t, a.slug).oidcCallback);
    const done = await agent.request(callback);
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${t.url}/api/v1/auth/me`);
    expect(await me(agent)).toMatchObject({
      status: 200,
      body: {
        principal: { type: 'user', email: 'alice@example.test', displayName: 'Alice' },
        org: { id: a.id },
        role: 'editor',
      },
    });
    const { rows } = await owner.query(`SELECT provider, issuer, subject FROM sso_identity WHERE org_id = $1`, [a.id]);
    expect(rows).toEqual([{ provider: 'oidc', issuer: idp.issuer, subject: 'alice' }]);
    const login = events.filter((e) => e.action === 'auth.login' && e.orgId === a.id).at(-1);
    expect(login).toMatchObject({ outcome: 'success', metadata: { provider: 'oidc', ip: expect.any(String) } });
    expect(events.some((e) => e.action === 'user.created' && e.orgId === a.id)).toBe(true);
  });

  it('re-applies group mappings at every sign-in and refuses (and signs out) a user no mapping grants', async () => {
    idp.accounts.set('alice', { ...idp.accounts.get('alice')!, groups: ['tf-admins', 'tf-editors'] });
    const first = await signIn(a, 'alice');
    expect(first.hop.status).toBe(303);
    expect((await me(first.agent)).body.role).toBe('admin');
    idp.accounts.set('alice', { ...idp.accounts.get('alice')!, groups: ['someone-else'] });
    const refused = await signIn(a, 'alice');
    expectRefusal(refused.hop, 'no_role', 403);
    expect((await me(first.agent)).status).toBe(401);
    idp.accounts.set('alice', { ...idp.accounts.get('alice')!, groups: ['tf-editors'] });
  });

  it('signs out: the session cookie stops working', async () => {
    const { agent, hop } = await signIn(a, 'alice');
    expect(hop.status).toBe(303);
    const session = await me(agent);
    const out = await agent.request(`${t.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': session.body.csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await me(agent)).status).toBe(401);
    expect(events.some((e) => e.action === 'auth.logout' && e.orgId === a.id)).toBe(true);
  });

  it('refuses a wrong state, and a callback in another browser', async () => {
    const { agent, callback } = await toCallback(a, 'alice');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'attacker-chosen-state');
    expectRefusal(await agent.request(forged.href, { headers: { accept: 'application/json' } }), 'state_mismatch');
    const other = await toCallback(a, 'alice');
    // The flow is bound to the browser that started it: another cookie jar cannot finish it.
    expectRefusal(
      await new HttpAgent().request(other.callback, { headers: { accept: 'application/json' } }),
      'state_mismatch',
    );
    expect(events.filter((e) => e.action === 'auth.login' && e.orgId === a.id).at(-1)).toMatchObject({
      outcome: 'failure',
      reason: 'state_mismatch',
    });
  });

  it('refuses a replayed callback and a replayed code', async () => {
    const { agent, callback } = await toCallback(a, 'alice');
    expect((await agent.request(callback)).status).toBe(303);
    expectRefusal(await agent.request(callback, { headers: { accept: 'application/json' } }), 'state_mismatch');
    // The same code under a fresh, valid state of this browser: the provider refuses the second redemption.
    const fresh = await agent.request(`${urlsFor(t, a.slug).oidcLogin}`);
    const replay = new URL(urlsFor(t, a.slug).oidcCallback);
    replay.searchParams.set('code', new URL(callback).searchParams.get('code')!);
    replay.searchParams.set('state', new URL(fresh.location!).searchParams.get('state')!);
    replay.searchParams.set('iss', idp.issuer);
    expectRefusal(await agent.request(replay.href, { headers: { accept: 'application/json' } }), 'code_rejected');
  });

  it('refuses an id_token whose nonce is not the one this flow sent', async () => {
    const before = await userCount(a);
    const { agent, callback } = await toCallback(a, 'bob', {
      editAuthorize: (u) => u.searchParams.set('nonce', 'nonce-of-another-flow'),
    });
    expectRefusal(await agent.request(callback, { headers: { accept: 'application/json' } }), 'nonce_mismatch');
    expect(await userCount(a)).toBe(before);
  });

  it('links an existing user by email only when verified, allowed and exactly equal', async () => {
    const carol = await createUser(t, a.id, 'viewer', 'carol@example.test');
    idp.accounts.set('carol-unverified', {
      email: 'carol@example.test',
      email_verified: false,
      groups: ['tf-editors'],
    });
    idp.accounts.set('carol-case', { email: 'Carol@example.test', email_verified: true, groups: ['tf-editors'] });
    idp.accounts.set('carol', { email: 'carol@example.test', email_verified: true, groups: ['tf-editors'] });
    expectRefusal((await signIn(a, 'carol-unverified')).hop, 'email_not_verified', 403);
    expectRefusal((await signIn(a, 'carol-case')).hop, 'email_conflict', 403);
    const linked = await signIn(a, 'carol');
    expect(linked.hop.status).toBe(303);
    expect((await me(linked.agent)).body).toMatchObject({ principal: { id: carol }, role: 'editor' });
    const { rows } = await owner.query(`SELECT subject FROM sso_identity WHERE org_id = $1 AND user_id = $2`, [
      a.id,
      carol,
    ]);
    expect(rows).toEqual([{ subject: 'carol' }]);
  });

  it('refuses a linked user who was deactivated', async () => {
    const dave = await createUser(t, a.id, 'viewer', 'dave@example.test');
    idp.accounts.set('dave', { email: 'dave@example.test', email_verified: true, groups: ['tf-editors'] });
    expect((await signIn(a, 'dave')).hop.status).toBe(303);
    await t.http().delete(`/api/v1/users/${dave}`).set(bearer(a.ownerKey)).expect(204);
    expectRefusal((await signIn(a, 'dave')).hop, 'user_deactivated', 403);
  });

  it("keeps orgs apart: another org's state, code or user gets nothing in this org", async () => {
    const inB = await signIn(b, 'bob');
    expect(inB.hop.status).toBe(303);
    expect((await me(inB.agent)).body).toMatchObject({ org: { id: b.id }, role: 'viewer' });
    // bob is nobody in org A (no mapping there): refused, and no user for him in A.
    expectRefusal((await signIn(a, 'bob')).hop, 'no_role', 403);
    expect(
      (await owner.query(`SELECT 1 FROM app_user WHERE org_id = $1 AND email = 'bob@example.test'`, [a.id])).rowCount,
    ).toBe(0);
    // A's callback (state of A, code for client A) delivered to B's callback.
    const { agent, callback } = await toCallback(a, 'alice');
    const toB = new URL(callback.replace(`/auth/${a.slug}/`, `/auth/${b.slug}/`));
    expectRefusal(await agent.request(toB.href, { headers: { accept: 'application/json' } }), 'state_mismatch');
    // A code issued to A's client, under a valid state of B in the same browser: B's client cannot redeem it.
    const startB = await agent.request(urlsFor(t, b.slug).oidcLogin);
    toB.searchParams.set('state', new URL(startB.location!).searchParams.get('state')!);
    expectRefusal(await agent.request(toB.href, { headers: { accept: 'application/json' } }), 'code_rejected');
  });

  it('refuses open redirects in returnTo', async () => {
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await t
        .http()
        .get(`/auth/${a.slug}/oidc/login`)
        .query({ returnTo: bad })
        .set('Accept', 'application/json');
      expect({ bad, status: res.status, code: res.body.code }).toEqual({ bad, status: 400, code: 'invalid_return_to' });
    }
  });

  it('answers 502 when the IdP is down, while owner API keys keep working (break-glass)', async () => {
    await putOidc(t, a, {
      enabled: true,
      provider: 'oidc',
      issuer: 'http://127.0.0.1:9',
      clientId: 'client-a',
      roleMappings: [],
    });
    const res = await t.http().get(`/auth/${a.slug}/oidc/login`).set('Accept', 'application/json');
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 502, code: 'idp_unavailable' });
    await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
  });
});
