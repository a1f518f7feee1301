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

  /**
   * Polls an instance (the other process by default) until it refuses, and returns when the last request it still
   * accepted was sent, in ms after `since` (-1 when none). Send times, not answer times: on a busy machine an answer
   * may come late, but a request sent after the bound that is still accepted is a real breach, and one sent before
   * it that is refused only shows the bound held. Gives up (returning the breach) after 15 s.
   */
  async function lastAcceptedAt(headers: Record<string, string>, since: number, url = other.url): Promise<number> {
    let last = -1;
    for (;;) {
      const sent = Date.now() - since;
      const res = await request(url).get('/api/v1/org').set(headers);
      if (res.status === 401) return last;
      expect(res.status).toBe(200);
      last = sent;
      if (sent > 15_000) return last;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  /** The revocation takes effect when its request commits, i.e. at the latest when its answer arrives. */
  const revoked = async (req: PromiseLike<unknown>) => {
    await req;
    return Date.now();
  };

  it('is really another process', () => {
    expect(other.pid).not.toBe(process.pid);
    expect(other.url).not.toBe(t.url);
  });

  it('revoking a key on one instance refuses it on the other within a second', async () => {
    const { body: k } = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'shared', role: 'viewer' })
      .expect(201);
    await onOther('/api/v1/org', bearer(k.key)).expect(200); // now cached on the other instance
    const start = await revoked(t.http().delete(`/api/v1/api-keys/${k.id}`).set(bearer(org.ownerKey)).expect(204));
    expect(await lastAcceptedAt(bearer(k.key), start)).toBeLessThan(1000);
  });

  it('rotation without grace refuses the old secret on the other instance within a second', async () => {
    const { body: k } = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'rot', role: 'viewer' })
      .expect(201);
    await onOther('/api/v1/org', bearer(k.key)).expect(200);
    const rotated = await t
      .http()
      .post(`/api/v1/api-keys/${k.id}/rotate`)
      .set(bearer(org.ownerKey))
      .send({})
      .expect(200);
    const start = Date.now();
    expect(await lastAcceptedAt(bearer(k.key), start)).toBeLessThan(1000);
    await onOther('/api/v1/org', bearer(rotated.body.key)).expect(200);
  });

  it('deactivating a user ends their session and their keys on the other instance within a second', async () => {
    const s = await userSession(t, org.id, 'admin');
    const { body: k } = await t
      .http()
      .post('/api/v1/api-keys')
      .set(s.headers)
      .send({ name: 'hers', role: 'viewer' })
      .expect(201);
    await onOther('/api/v1/org', s.cookie).expect(200);
    await onOther('/api/v1/org', bearer(k.key)).expect(200);
    const start = await revoked(t.http().delete(`/api/v1/users/${s.userId}`).set(bearer(org.ownerKey)).expect(204));
    expect(await lastAcceptedAt(s.cookie, start)).toBeLessThan(1000);
    expect(await lastAcceptedAt(bearer(k.key), start)).toBeLessThan(1000);
  });

  it("without any notification (revoked behind the servers' backs), cache expiry still refuses within a second", async () => {
    const { body: k } = await t
      .http()
      .post('/api/v1/api-keys')
      .set(bearer(org.ownerKey))
      .send({ name: 'silent', role: 'viewer' })
      .expect(201);
    await onOther('/api/v1/org', bearer(k.key)).expect(200);
    await t.http().get('/api/v1/org').set(bearer(k.key)).expect(200);
    const start = await revoked(db.query(`UPDATE api_key SET revoked_at = now() WHERE id = $1`, [k.id]));
    expect(await lastAcceptedAt(bearer(k.key), start)).toBeLessThan(1000);
    expect(await lastAcceptedAt(bearer(k.key), start, t.url)).toBeLessThan(1000); // and on this instance
  });
});
