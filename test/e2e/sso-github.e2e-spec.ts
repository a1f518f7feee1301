import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { HttpAgent } from '../utils/idp/http-agent.js';
import { TestGithub } from '../utils/idp/github-idp.js';
import { TEST_ENCRYPTION_KEY, putOidc, urlsFor } from '../utils/idp/sso-test-kit.js';

describe('GitHub preset (plain OAuth2: /user and the verified primary email)', () => {
  let t: TestApp;
  let org: TestOrg;
  let gh: TestGithub;

  async function signIn(): Promise<{ agent: HttpAgent; status: number; code?: string }> {
    const agent = new HttpAgent();
    const start = await agent.request(`${urlsFor(t, org.slug).oidcLogin}?returnTo=/done`);
    const authorize = new URL(start.location!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toBe('read:user user:email');
    expect(authorize.searchParams.has('nonce')).toBe(false);
    const hop = await agent.follow(authorize.href, (u) => u.startsWith(urlsFor(t, org.slug).oidcCallback));
    const done = await agent.request(hop.location!, { headers: { accept: 'application/json' } });
    return { agent, status: done.status, code: done.status === 303 ? undefined : JSON.parse(done.body).code };
  }

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    org = await t.createOrg();
    gh = await new TestGithub({ clientId: 'gh-client', clientSecret: 'gh-secret' }).start();
    // A GitHub Enterprise Server base URL stands in for github.com (same paths under /login/oauth and /api/v3).
    await putOidc(t, org, {
      enabled: true,
      provider: 'github',
      issuer: gh.base,
      clientId: 'gh-client',
      clientSecret: 'gh-secret',
      defaultRole: 'editor',
    });
  });
  afterAll(async () => {
    await gh.stop();
    await t.close();
  });

  it('signs in with the numeric id as subject and the verified primary email', async () => {
    gh.nextUser = {
      id: 4242,
      login: 'octo',
      name: 'Octo Cat',
      emails: [
        { email: 'other@example.test', primary: false, verified: true },
        { email: 'octo@example.test', primary: true, verified: true },
      ],
    };
    const { agent, status } = await signIn();
    expect(status).toBe(303);
    const me = await agent.request(`${t.url}/api/v1/auth/me`, { headers: { accept: 'application/json' } });
    expect(JSON.parse(me.body)).toMatchObject({
      principal: { email: 'octo@example.test', displayName: 'Octo Cat' },
      role: 'editor',
    });
  });

  it('refuses an account whose primary email is not verified', async () => {
    gh.nextUser = {
      id: 99,
      login: 'newbie',
      emails: [{ email: 'newbie@example.test', primary: true, verified: false }],
    };
    const res = await signIn();
    expect({ status: res.status, code: res.code }).toEqual({ status: 403, code: 'email_not_verified' });
  });

  it('refuses a callback whose code GitHub does not honour', async () => {
    const agent = new HttpAgent();
    const start = await agent.request(urlsFor(t, org.slug).oidcLogin);
    const state = new URL(start.location!).searchParams.get('state')!;
    const res = await agent.request(`${urlsFor(t, org.slug).oidcCallback}?code=forged&state=${state}`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).code).toBe('code_rejected');
  });
});
