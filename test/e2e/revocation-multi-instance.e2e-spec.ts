import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { userSession } from '../utils/sessions.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Must-show 5: a revoked key stops working within one second on another server process sharing the database
 * (a child `node` process with its own pools and caches), by NOTIFY and, if that were lost, by cache expiry.
 */
describe('revocation reaches a second server process within one second', () => {
  let t: TestApp;
  let other: ChildServer;
  let org: TestOrg;
  let db: pg.Client;

  beforeAll(async () => {
    t = await createTestApp();
    other = await startChildServer();
    org = await t.createOrg();
    db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db.end();
    await other?.stop();
    await t?.close();
  });

  const onOther = (path: string, headers: Record<string, string>) => request(other.url).get(path).set(headers);

  /** Polls the other process until it refuses, returning how long that took after `since`. */
  async function refusedWithin(headers: Record<string, string>, since: number, limitMs = 1000): Promise<number> {
    for (;;) {
      const res = await onOther('/api/v1/org', headers);
      if (res.status === 401) return Date.now() - since;
      expect(res.status).toBe(200);
      if (Date.now() - since > limitMs + 500) return Date.now() - since;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('is really another process', () => {
    expect(other.pid).not.toBe(process.pid);
    expect(other.url).not.toBe(t.url);
  });

  it('revoking a key on one instance refuses it on the other within a second', async () => {
    const { body: k } = await t.http().post('/api/v1/api-keys').set(bearer(org.ownerKey)).send({ name: 'shared', role: 'viewer' }).expect(201);
    await onOther('/api/v1/org', bearer(k.key)).expect(200); // now cached on the other instance
    const start = Date.now();
    await t.http().delete(`/api/v1/api-keys/${k.id}`).set(bearer(org.ownerKey)).expect(204);
    expect(await refusedWithin(bearer(k.key), start)).toBeLessThan(1000);
  });

  it('rotation without grace refuses the old secret on the other instance within a second', async () => {
    const { body: k } = await t.http().post('/api/v1/api-keys').set(bearer(org.ownerKey)).send({ name: 'rot', role: 'viewer' }).expect(201);
    await onOther('/api/v1/org', bearer(k.key)).expect(200);
    const start = Date.now();
    const rotated = await t.http().post(`/api/v1/api-keys/${k.id}/rotate`).set(bearer(org.ownerKey)).send({}).expect(200);
    expect(await refusedWithin(bearer(k.key), start)).toBeLessThan(1000);
    await onOther('/api/v1/org', bearer(rotated.body.key)).expect(200);
  });

  it('deactivating a user ends their session and their keys on the other instance within a second', async () => {
    const s = await userSession(t, org.id, 'admin');
    const { body: k } = await t.http().post('/api/v1/api-keys').set(s.headers).send({ name: 'hers', role: 'viewer' }).expect(201);
    await onOther('/api/v1/org', s.cookie).expect(200);
    await onOther('/api/v1/org', bearer(k.key)).expect(200);
    const start = Date.now();
    await t.http().delete(`/api/v1/users/${s.userId}`).set(bearer(org.ownerKey)).expect(204);
    expect(await refusedWithin(s.cookie, start)).toBeLessThan(1000);
    expect(await refusedWithin(bearer(k.key), start)).toBeLessThan(1000);
  });

  it('without any notification (revoked behind the servers\' backs), cache expiry still refuses within a second', async () => {
    const { body: k } = await t.http().post('/api/v1/api-keys').set(bearer(org.ownerKey)).send({ name: 'silent', role: 'viewer' }).expect(201);
    await onOther('/api/v1/org', bearer(k.key)).expect(200);
    await t.http().get('/api/v1/org').set(bearer(k.key)).expect(200);
    const start = Date.now();
    await db.query(`UPDATE api_key SET revoked_at = now() WHERE id = $1`, [k.id]);
    expect(await refusedWithin(bearer(k.key), start)).toBeLessThan(1000);
    const res = await t.http().get('/api/v1/org').set(bearer(k.key));
    expect(res.status).toBe(401);
  });
});
