import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../utils/flow-helpers.js';
import { HttpAgent } from '../utils/idp/http-agent.js';
import { TestOidcIdp } from '../utils/idp/oidc-idp.js';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Must show 6: OAuth2 authorization code with PKCE against a real authorization server (`oidc-provider`), the state
 * bound to the browser that started it; an expired token is refreshed; concurrent runs cause exactly one refresh.
 */
const CLIENT_SECRET = 'oauth-client-secret-5e1a77';

describe('OAuth2 connections: authorization code + PKCE and refresh', () => {
  let t: TestApp;
  let a: TestOrg;
  let idp: TestOidcIdp;
  let api: Server;
  let apiUrl: string;
  const seen: IncomingMessage[] = [];
  let project: string;
  let connectionId: string;

  const start = async () => {
    const res = await t
      .http()
      .post(`/api/v1/connections/${connectionId}/oauth2/authorize`)
      .set(bearer(a.ownerKey))
      .expect(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('tenantflow_oauth2_binding='),
    )!;
    expect(cookie).toMatch(/HttpOnly/i);
    return { url: res.body.authorizationUrl as string, binding: cookie.split(';')[0].split('=')[1] };
  };
  /** The browser: follows the authorization server's redirects up to our callback. */
  const authorize = async (agent: HttpAgent, url: string) => {
    const hop = await agent.follow(url, (next) => next.startsWith(`${t.url}/auth/${a.slug}/oauth2/callback`));
    expect(hop.location).toContain('code=');
    return hop.location!;
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    idp = await new TestOidcIdp().start(
      [{ clientId: 'tf-conn', clientSecret: CLIENT_SECRET, redirectUri: `${t.url}/auth/${a.slug}/oauth2/callback` }],
      '127.0.0.1',
      { refreshTokens: true },
    );
    idp.accounts.set('alice', { email: 'alice@example.test' });
    api = createServer((req, res) => {
      seen.push(req);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ auth: req.headers.authorization }));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/me`;
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [a.id],
    );
    project = await createProject(t, a.ownerKey);
    connectionId = (
      await t
        .http()
        .post('/api/v1/connections')
        .set(bearer(a.ownerKey))
        .send({
          name: 'idp',
          type: 'oauth2',
          projectId: project,
          data: {
            grantType: 'authorization_code',
            clientId: 'tf-conn',
            clientSecret: CLIENT_SECRET,
            tokenUrl: `${idp.issuer}/token`,
            authorizeUrl: `${idp.issuer}/auth`,
            scopes: ['openid', 'offline_access'],
          },
        })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    api?.close();
    await idp?.stop();
    await t?.close();
  });

  it('refuses a callback from another browser, an unknown or replayed state', async () => {
    const { url } = await start();
    const callback = await authorize(new HttpAgent(), url);
    const stranger = new HttpAgent(); // no binding cookie: not the browser that started
    const res = await stranger.request(callback);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      code: 'oauth2_flow_invalid',
      detail: expect.stringContaining('browser_mismatch'),
    });
    // The flow was consumed by that attempt: the right browser cannot replay it either.
    const again = await new HttpAgent().request(callback);
    expect(JSON.parse(again.body).detail).toContain('unknown_state');
    const otherOrg = await t.createOrg();
    const wrongOrg = await new HttpAgent().request(callback.replace(`/auth/${a.slug}/`, `/auth/${otherOrg.slug}/`));
    expect(wrongOrg.status).toBe(400);
    const forged = await t.http().get(`/auth/${a.slug}/oauth2/callback?state=${a.id}.forged&code=x`);
    expect(forged.status).toBe(400);
    expect(JSON.stringify(forged.body)).not.toContain(CLIENT_SECRET);
    const conn = await t.http().get(`/api/v1/connections/${connectionId}`).set(bearer(a.ownerKey)).expect(200);
    expect(conn.body.oauth2).toEqual({ connected: false, expiresAt: null });
  });

  it('connects with code + PKCE (S256), then runs use the token; an expired token is refreshed once for concurrent runs', async () => {
    const { url, binding } = await start();
    const params = new URL(url).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.startsWith(`${idp.issuer}/auth?`)).toBe(true);
    const browser = new HttpAgent();
    browser.setCookie(t.url, 'tenantflow_oauth2_binding', binding, '/');
    const callback = await authorize(browser, url);
    const done = await browser.request(callback);
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body)).toEqual({ connected: true, connectionId });
    const conn = await t.http().get(`/api/v1/connections/${connectionId}`).set(bearer(a.ownerKey)).expect(200);
    expect(conn.body.oauth2.connected).toBe(true);

    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        { id: 'call', type: 'http.request', params: { method: 'GET', url: apiUrl, connectionId } },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.call.output.body }}' } },
      ]),
      { projectId: project },
    );
    const first = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    const token1 = seen.at(-1)!.headers.authorization!;
    expect(token1).toMatch(/^Bearer .{20,}/);
    expect(first.body).toEqual({ auth: 'Bearer [redacted]' });

    // Expire it: four concurrent runs, one refresh request (the others wait on the row lock and reuse it).
    await t.server.deps.db.systemQuery(
      `UPDATE connection SET token_expires_at = now() - interval '1 minute' WHERE id = $1`,
      [connectionId],
    );
    const before = idp.tokenRequests;
    const runs = await Promise.all([1, 2, 3, 4].map(() => t.http().post(`/hooks/${flowId}`).send({})));
    for (const r of runs) expect(r.status).toBe(200);
    expect(idp.tokenRequests - before).toBe(1);
    const tokens = new Set(seen.slice(-4).map((r) => r.headers.authorization));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(token1);
    for (const r of runs) expect(r.body).toEqual({ auth: 'Bearer [redacted]' });
  });
});
