import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CredentialsService } from '../../src/modules/identity/index.js';
import { inject } from 'vitest';
import { expectNoPlaintext } from '../utils/secret-encodings.js';
import { userSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg, credentialSecret } from '../utils/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('API key management', () => {
  let t: TestApp;
  let a: TestOrg;
  let db: pg.Client;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const create = (body: Record<string, unknown>, key = a.ownerKey) =>
    t.http().post('/api/v1/api-keys').set(bearer(key)).send(body);

  it('creates a key shown once (tfk_<public id>_<256-bit secret>) and stores only a hash', async () => {
    const res = await create({ name: 'ci', role: 'editor' }).expect(201);
    expect(res.body.key).toMatch(/^tfk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/); // 43 base64url chars = 256 bits
    expect(res.body).toMatchObject({
      name: 'ci',
      role: 'editor',
      projectId: null,
      scopes: null,
      status: 'active',
      createdBy: { type: 'api_key' },
    });
    expect(res.body.prefix).toBe(res.body.key.split('_').slice(0, 2).join('_'));
    const { rows } = await db.query(`SELECT secret_hash FROM api_key WHERE id = $1`, [res.body.id]);
    expectNoPlaintext(Buffer.from(rows[0].secret_hash), credentialSecret(res.body.key), 'api_key.secret_hash');
    expectNoPlaintext(Buffer.from(rows[0].secret_hash), res.body.key, 'api_key.secret_hash');
    await t.http().get('/api/v1/org').set(bearer(res.body.key)).expect(200);

    const list = await t.http().get('/api/v1/api-keys').set(bearer(a.ownerKey)).expect(200);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(credentialSecret(res.body.key));
    const item = list.body.items.find((k: { id: string }) => k.id === res.body.id);
    expect(Object.keys(item).sort()).toEqual(
      [
        'createdAt',
        'createdBy',
        'expiresAt',
        'id',
        'lastUsedAt',
        'name',
        'ownerUserId',
        'prefix',
        'previousSecretValidUntil',
        'projectId',
        'revokedAt',
        'role',
        'scopes',
        'status',
      ].sort(),
    );
    expect(item.key).toBeUndefined();
    const one = await t.http().get(`/api/v1/api-keys/${res.body.id}`).set(bearer(a.ownerKey)).expect(200);
    expect(one.body.key).toBeUndefined();
  });

  it('stores only a hash of the platform key, in no plaintext encoding', async () => {
    const publicId = t.platformKey.split('_')[1];
    const { rows } = await db.query(`SELECT secret_hash FROM platform_key WHERE public_id = $1`, [publicId]);
    expect(rows).toHaveLength(1);
    expectNoPlaintext(Buffer.from(rows[0].secret_hash), credentialSecret(t.platformKey), 'platform_key.secret_hash');
    const all = await db.query<{ t: string }>(`SELECT p::text AS t FROM platform_key p`);
    expectNoPlaintext(all.rows.map((r) => r.t).join('\n'), credentialSecret(t.platformKey), 'platform_key rows');
  });

  it('records last use without a write per request (shown at once, flushed in batches)', async () => {
    // The periodic flush is held back while the requests run (it would otherwise race the check below), then run.
    const credentials = t.server.app.get(CredentialsService) as unknown as { flushLastUsed(): Promise<void> };
    const realFlush = credentials.flushLastUsed.bind(credentials);
    const held = vi.spyOn(credentials, 'flushLastUsed').mockResolvedValue(undefined);
    try {
      const { body } = await create({ name: 'used', role: 'viewer' }).expect(201);
      const before = Date.now();
      for (let i = 0; i < 5; i++) await t.http().get('/api/v1/org').set(bearer(body.key)).expect(200);
      const { rows } = await db.query(`SELECT last_used_at FROM api_key WHERE id = $1`, [body.id]);
      expect(rows[0].last_used_at).toBeNull(); // not written by the requests themselves
      const shown = await t.http().get(`/api/v1/api-keys/${body.id}`).set(bearer(a.ownerKey)).expect(200);
      expect(Date.parse(shown.body.lastUsedAt)).toBeGreaterThanOrEqual(before - 1000); // shown at once, from memory
      held.mockRestore();
      await realFlush();
      const flushed = await db.query(`SELECT last_used_at FROM api_key WHERE id = $1`, [body.id]);
      expect(flushed.rows[0].last_used_at?.getTime()).toBe(Date.parse(shown.body.lastUsedAt)); // written by the batch
    } finally {
      held.mockRestore();
    }
  });

  it('rotation shows a new secret once; the old one works only for the requested grace period', async () => {
    const { body: k } = await create({ name: 'rotating', role: 'viewer' }).expect(201);
    const r1 = await t.http().post(`/api/v1/api-keys/${k.id}/rotate`).set(bearer(a.ownerKey)).send({}).expect(200);
    expect(r1.body.key).toMatch(/^tfk_/);
    expect(r1.body.prefix).toBe(k.prefix); // same key, new secret
    await t.http().get('/api/v1/org').set(bearer(k.key)).expect(401); // default grace: none
    await t.http().get('/api/v1/org').set(bearer(r1.body.key)).expect(200);

    // A grace period long enough that the checks inside it land inside it on a busy machine; then past its end.
    const r2 = await t
      .http()
      .post(`/api/v1/api-keys/${k.id}/rotate`)
      .set(bearer(a.ownerKey))
      .send({ gracePeriodSeconds: 4 })
      .expect(200);
    expect(r2.body.previousSecretValidUntil).not.toBeNull();
    await t.http().get('/api/v1/org').set(bearer(r1.body.key)).expect(200);
    await t.http().get('/api/v1/org').set(bearer(r2.body.key)).expect(200);
    await sleep(Math.max(0, Date.parse(r2.body.previousSecretValidUntil) - Date.now() + 100));
    await t.http().get('/api/v1/org').set(bearer(r1.body.key)).expect(401);
    await t.http().get('/api/v1/org').set(bearer(r2.body.key)).expect(200);
    await t
      .http()
      .post(`/api/v1/api-keys/${k.id}/rotate`)
      .set(bearer(a.ownerKey))
      .send({ gracePeriodSeconds: -1 })
      .expect(400);
  });

  it('revocation takes effect immediately and cascades to keys the revoked key created', async () => {
    const { body: parent } = await create({ name: 'parent', role: 'admin' }).expect(201);
    const { body: child } = await create({ name: 'child', role: 'viewer' }, parent.key).expect(201);
    expect(child.createdBy).toEqual({ type: 'api_key', id: parent.id });
    await t.http().get('/api/v1/org').set(bearer(child.key)).expect(200);
    await t.http().delete(`/api/v1/api-keys/${parent.id}`).set(bearer(a.ownerKey)).expect(204);
    await t.http().get('/api/v1/org').set(bearer(parent.key)).expect(401);
    await t.http().get('/api/v1/org').set(bearer(child.key)).expect(401);
    const listed = await t.http().get(`/api/v1/api-keys/${child.id}`).set(bearer(a.ownerKey)).expect(200);
    expect(listed.body.status).toBe('revoked');
    await t.http().delete(`/api/v1/api-keys/${parent.id}`).set(bearer(a.ownerKey)).expect(204); // idempotent
    await t.http().post(`/api/v1/api-keys/${parent.id}/rotate`).set(bearer(a.ownerKey)).send({}).expect(409);
  });

  it('expired keys stop working; expiry must be in the future', async () => {
    const { body } = await create({
      name: 'short',
      role: 'viewer',
      expiresAt: new Date(Date.now() + 4000).toISOString(),
    }).expect(201);
    await t.http().get('/api/v1/org').set(bearer(body.key)).expect(200);
    await sleep(Math.max(0, Date.parse(body.expiresAt) - Date.now() + 100));
    await t.http().get('/api/v1/org').set(bearer(body.key)).expect(401);
    await create({ name: 'past', role: 'viewer', expiresAt: new Date(Date.now() - 1000).toISOString() }).expect(400);
    await create({ name: 'bad', role: 'viewer', expiresAt: 'tomorrow' }).expect(400);
  });

  it('scopes narrow the role; a project-limited key reaches only its project', async () => {
    const p1 = (await t.http().post('/api/v1/projects').set(bearer(a.ownerKey)).send({ name: 'scoped-1' }).expect(201))
      .body.id;
    const p2 = (await t.http().post('/api/v1/projects').set(bearer(a.ownerKey)).send({ name: 'scoped-2' }).expect(201))
      .body.id;
    const { body: readOnly } = await create({ name: 'ro', role: 'admin', scopes: ['project:read'] }).expect(201);
    await t.http().get('/api/v1/projects').set(bearer(readOnly.key)).expect(200);
    await t.http().post('/api/v1/projects').set(bearer(readOnly.key)).send({ name: 'nope' }).expect(403);
    await t.http().get('/api/v1/users').set(bearer(readOnly.key)).expect(403);

    const { body: projectKey } = await create({ name: 'p1 only', role: 'admin', projectId: p1 }).expect(201);
    await t.http().get(`/api/v1/projects/${p1}`).set(bearer(projectKey.key)).expect(200);
    await t.http().get(`/api/v1/projects/${p2}`).set(bearer(projectKey.key)).expect(404);
    const visible = await t.http().get('/api/v1/projects?limit=200').set(bearer(projectKey.key)).expect(200);
    expect(visible.body.items.map((p: { id: string }) => p.id)).toEqual([p1]);
    await t.http().get('/api/v1/users').set(bearer(projectKey.key)).expect(403);
    await t.http().post('/api/v1/api-keys').set(bearer(projectKey.key)).send({ name: 'x', role: 'viewer' }).expect(403);

    await create({ name: 'bad scope', role: 'viewer', scopes: ['flow:delete'] }).expect(400);
    await create({ name: 'unknown scope', role: 'admin', scopes: ['nothing:read'] }).expect(400);
    await create({ name: 'user scope on project key', role: 'admin', projectId: p1, scopes: ['user:read'] }).expect(
      400,
    );
    await create({ name: 'no such project', role: 'viewer', projectId: '00000000-0000-7000-8000-000000000000' }).expect(
      404,
    );
    await create({ name: 'bad role', role: 'superuser' }).expect(400);
  });

  it('editors manage only their own keys; viewers cannot mint keys', async () => {
    const ed = await userSession(t, a.id, 'editor');
    const other = await userSession(t, a.id, 'editor');
    const mine = await t
      .http()
      .post('/api/v1/api-keys')
      .set(ed.headers)
      .send({ name: 'mine', role: 'editor' })
      .expect(201);
    expect(mine.body.ownerUserId).toBe(ed.userId);
    const theirs = await t
      .http()
      .post('/api/v1/api-keys')
      .set(other.headers)
      .send({ name: 'theirs', role: 'viewer' })
      .expect(201);
    const list = await t.http().get('/api/v1/api-keys?limit=200').set(ed.cookie).expect(200);
    expect(list.body.items.map((k: { id: string }) => k.id)).toEqual([mine.body.id]);
    await t.http().get(`/api/v1/api-keys/${theirs.body.id}`).set(ed.cookie).expect(404);
    await t.http().delete(`/api/v1/api-keys/${theirs.body.id}`).set(ed.headers).expect(404);
    const rotated = await t.http().post(`/api/v1/api-keys/${mine.body.id}/rotate`).set(ed.headers).send({}).expect(200);
    // The editor's key acts for the editor: it sees the editor's keys, and no one else's.
    const viaKey = await t.http().get('/api/v1/api-keys?limit=200').set(bearer(rotated.body.key)).expect(200);
    expect(viaKey.body.items.map((k: { id: string }) => k.id)).toEqual([mine.body.id]);

    const viewer = await userSession(t, a.id, 'viewer');
    await t.http().post('/api/v1/api-keys').set(viewer.headers).send({ name: 'v', role: 'viewer' }).expect(403);
    await t.http().get('/api/v1/api-keys').set(viewer.cookie).expect(403);
  });

  it('deactivating a user revokes the keys on their authority, including keys those keys made', async () => {
    const adm = await userSession(t, a.id, 'admin');
    const k1 = (
      await t.http().post('/api/v1/api-keys').set(adm.headers).send({ name: 'k1', role: 'admin' }).expect(201)
    ).body;
    const k2 = (await create({ name: 'k2', role: 'viewer' }, k1.key).expect(201)).body;
    expect(k2.ownerUserId).toBe(adm.userId);
    await t.http().get('/api/v1/org').set(bearer(k2.key)).expect(200);
    await t.http().delete(`/api/v1/users/${adm.userId}`).set(bearer(a.ownerKey)).expect(204);
    for (const k of [k1, k2]) await t.http().get('/api/v1/org').set(bearer(k.key)).expect(401);
  });

  it('a key stops working when its creator loses the rights it grants, and works again when they regain them', async () => {
    const adm = await userSession(t, a.id, 'admin');
    const k = (
      await t.http().post('/api/v1/api-keys').set(adm.headers).send({ name: 'bounded', role: 'admin' }).expect(201)
    ).body;
    await t.http().get('/api/v1/users').set(bearer(k.key)).expect(200);
    await t.http().patch(`/api/v1/users/${adm.userId}`).set(bearer(a.ownerKey)).send({ role: 'viewer' }).expect(200);
    const refused = await t.http().get('/api/v1/org').set(bearer(k.key)).expect(401);
    expect(refused.body.code).toBe('unauthenticated');
    await t.http().patch(`/api/v1/users/${adm.userId}`).set(bearer(a.ownerKey)).send({ role: 'admin' }).expect(200);
    await t.http().get('/api/v1/users').set(bearer(k.key)).expect(200);
  });

  it('renames a key; audit-relevant fields cannot be smuggled', async () => {
    const { body } = await create({ name: 'old', role: 'viewer' }).expect(201);
    const renamed = await t
      .http()
      .patch(`/api/v1/api-keys/${body.id}`)
      .set(bearer(a.ownerKey))
      .send({ name: 'new' })
      .expect(200);
    expect(renamed.body.name).toBe('new');
    await t
      .http()
      .patch(`/api/v1/api-keys/${body.id}`)
      .set(bearer(a.ownerKey))
      .send({ name: 'x', role: 'owner' })
      .expect(400);
    await create({ name: 'x', role: 'viewer', ownerUserId: body.id }).expect(400);
  });
});
