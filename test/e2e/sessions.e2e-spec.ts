import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { AppConfig } from '../../src/core/config/app-config.js';
import { SESSION_COOKIE, SessionsService, sessionCookieOptions } from '../../src/modules/identity/index.js';
import { expectNoPlaintext } from '../utils/secret-encodings.js';
import { createUser, openSession, userSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg, credentialSecret } from '../utils/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cookie sessions', () => {
  let t: TestApp;
  let a: TestOrg;
  let owner: pg.Client;

  beforeAll(async () => {
    // Idle 3 s against pings every 250 ms, and an 8 s lifetime whose last pings stop 2 s before it ends: margins that
    // hold when a request takes a second or more on a busy machine.
    t = await createTestApp({ TENANTFLOW_SESSION_IDLE_TIMEOUT: '3000', TENANTFLOW_SESSION_TTL: '8000' });
    a = await t.createOrg();
    owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await owner.connect();
  });
  afterAll(async () => {
    await owner.end();
    await t.close();
  });

  it('stores only a hash of the session secret, scoped to the org', async () => {
    const s = await userSession(t, a.id, 'editor');
    const publicId = s.token.split('_')[1];
    const { rows } = await owner.query(`SELECT org_id, secret_hash, method FROM app_session WHERE public_id = $1`, [
      publicId,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].org_id).toBe(a.id);
    expect(rows[0].method).toBe('test');
    expectNoPlaintext(Buffer.from(rows[0].secret_hash), credentialSecret(s.token), 'app_session.secret_hash');
    const row = await owner.query<{ t: string }>(`SELECT s::text AS t FROM app_session s WHERE public_id = $1`, [
      publicId,
    ]);
    expectNoPlaintext(row.rows[0].t, credentialSecret(s.token), 'app_session row');
    expectNoPlaintext(row.rows[0].t, s.csrfToken, 'app_session row (CSRF token)');
    expect(s.token).toMatch(/^tfs_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  });

  it('the cookie authenticates as a user principal and /auth/me returns the CSRF token', async () => {
    const s = await userSession(t, a.id, 'editor');
    const me = await t.http().get('/api/v1/auth/me').set(s.cookie).expect(200);
    expect(me.body.principal).toMatchObject({ type: 'user', id: s.userId });
    expect(me.body.principal.email).toMatch(/@example\.test$/);
    expect(me.body.org).toMatchObject({ id: a.id, slug: a.slug });
    expect(me.body.role).toBe('editor');
    expect(me.body.csrfToken).toBe(s.csrfToken);
    expect(me.body.permissions).toEqual(expect.arrayContaining([expect.objectContaining({ subject: 'Flow' })]));
    const keyMe = await t.http().get('/api/v1/auth/me').set(bearer(a.ownerKey)).expect(200);
    expect(keyMe.body.principal.type).toBe('api_key');
    expect(keyMe.body.csrfToken).toBeUndefined();
  });

  it('unsafe methods need a matching X-CSRF-Token (constant-time compared)', async () => {
    const s = await userSession(t, a.id, 'admin');
    const none = await t.http().post('/api/v1/projects').set(s.cookie).send({ name: 'csrf-none' }).expect(403);
    expect(none.body.code).toBe('csrf_failed');
    const wrong = await t
      .http()
      .post('/api/v1/projects')
      .set(s.cookie)
      .set('X-CSRF-Token', s.csrfToken.slice(0, -2) + 'xx')
      .send({ name: 'csrf-wrong' })
      .expect(403);
    expect(wrong.body.code).toBe('csrf_failed');
    const other = await userSession(t, a.id, 'admin');
    await t
      .http()
      .post('/api/v1/projects')
      .set(s.cookie)
      .set('X-CSRF-Token', other.csrfToken)
      .send({ name: 'csrf-other' })
      .expect(403);
    await t.http().post('/api/v1/projects').set(s.headers).send({ name: 'csrf-ok' }).expect(201);
    const list = await t.http().get('/api/v1/projects?limit=200').set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items.map((p: { name: string }) => p.name)).not.toEqual(expect.arrayContaining(['csrf-none']));
  });

  it('a session token is not accepted as a bearer key, nor a key as the cookie', async () => {
    const s = await userSession(t, a.id, 'admin');
    await t.http().get('/api/v1/org').set(bearer(s.token)).expect(401);
    await t.http().get('/api/v1/org').set('Cookie', `${SESSION_COOKIE}=${a.ownerKey}`).expect(401);
  });

  it('logout revokes the server-side session and clears the cookie', async () => {
    const s = await userSession(t, a.id, 'viewer');
    await t.http().post('/api/v1/auth/logout').set(s.cookie).expect(403); // CSRF applies to logout too
    const out = await t.http().post('/api/v1/auth/logout').set(s.headers).expect(204);
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`));
    await t.http().get('/api/v1/auth/me').set(s.cookie).expect(401);
    await t.http().post('/api/v1/auth/logout').set(bearer(a.ownerKey)).expect(400);
  });

  it('refuses sessions of deactivated users and of suspended orgs', async () => {
    const s = await userSession(t, a.id, 'editor');
    await t.http().get('/api/v1/org').set(s.cookie).expect(200);
    await t.http().delete(`/api/v1/users/${s.userId}`).set(bearer(a.ownerKey)).expect(204);
    await t.http().get('/api/v1/org').set(s.cookie).expect(401);
    await expect(
      t.server.app.get(SessionsService).open({ orgId: a.id, userId: s.userId, method: 'test' }),
    ).rejects.toMatchObject({ code: 'user_deactivated' });

    const b = await t.createOrg();
    const sb = await userSession(t, b.id, 'owner');
    await t.http().get('/api/v1/org').set(sb.cookie).expect(200);
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${b.id}`)
      .set(bearer(t.platformKey))
      .send({ status: 'suspended' })
      .expect(200);
    // The suspension reaches the cached credential by notification or cache expiry: poll for it, bounded generously.
    let refused = await t.http().get('/api/v1/org').set(sb.cookie);
    for (const until = Date.now() + 10_000; refused.status === 200 && Date.now() < until;) {
      await sleep(50);
      refused = await t.http().get('/api/v1/org').set(sb.cookie);
    }
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('org_suspended');
  });

  it('sessions end after the idle timeout, and activity keeps them alive until the absolute expiry', async () => {
    const idle = await userSession(t, a.id, 'viewer');
    const busy = await userSession(t, a.id, 'viewer');
    const idleSince = Date.now();
    // In use (a request every 250 ms, far inside the 3 s idle timeout): alive past the idle timeout...
    while (Date.now() - idleSince < 3500) {
      await t.http().get('/api/v1/org').set(busy.cookie).expect(200);
      await sleep(250);
    }
    await t.http().get('/api/v1/org').set(idle.cookie).expect(401); // 3.5 s or more without use > 3 s idle
    // ...and until close to the absolute expiry (the last ping 2 s before it, so a slow answer still lands before it)...
    while (busy.expiresAt.getTime() - Date.now() > 2000) {
      await t.http().get('/api/v1/org').set(busy.cookie).expect(200);
      await sleep(250);
    }
    // ...but not past it, however recently used.
    await sleep(Math.max(0, busy.expiresAt.getTime() - Date.now() + 50));
    await t.http().get('/api/v1/org').set(busy.cookie).expect(401); // past the 8 s absolute lifetime
  }, 30_000);

  it('revokeForUser ends every session of the user', async () => {
    const userId = await createUser(t, a.id, 'viewer');
    const s1 = await openSession(t, a.id, userId);
    const s2 = await openSession(t, a.id, userId, 'oidc');
    expect(await t.server.app.get(SessionsService).revokeForUser(a.id, userId)).toBe(2);
    await t.http().get('/api/v1/org').set(s1.cookie).expect(401);
    await t.http().get('/api/v1/org').set(s2.cookie).expect(401);
  });

  it('cookie options: HttpOnly, SameSite=Lax, Path=/, Secure in production', () => {
    const exp = new Date(Date.now() + 1000);
    expect(sessionCookieOptions(AppConfig.fromEnv({ NODE_ENV: 'test' }), exp)).toEqual({
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
      path: '/',
      expires: exp,
    });
    expect(sessionCookieOptions(AppConfig.fromEnv({ NODE_ENV: 'production' }), exp).secure).toBe(true);
  });
});
