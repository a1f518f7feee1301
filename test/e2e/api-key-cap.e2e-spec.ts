import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Issue 11: a compromised admin key cannot mint thousands of keys. */
describe('per-org cap on active API keys (TENANTFLOW_API_KEYS_PER_ORG)', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_API_KEYS_PER_ORG: '4' });
    a = await t.createOrg();
    b = await t.createOrg();
  });
  afterAll(() => t.close());

  const create = (org: TestOrg, name: string) =>
    t.http().post('/api/v1/api-keys').set(bearer(org.ownerKey)).send({ name, role: 'viewer' });

  it('refuses the key over the cap with 409 api_key_limit_reached; revoked and expired keys free places; orgs count apart', async () => {
    // The owner key is the first of four.
    const ids: string[] = [];
    for (const name of ['k1', 'k2', 'k3']) ids.push((await create(a, name).expect(201)).body.id);
    const over = await create(a, 'k4').expect(409);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.body.code).toBe('api_key_limit_reached');
    expect(JSON.stringify(over.body)).not.toMatch(/tfk_/);
    await create(b, 'other org').expect(201);

    await t.http().delete(`/api/v1/api-keys/${ids[0]}`).set(bearer(a.ownerKey)).expect(204);
    await create(a, 'after revoke').expect(201);
    await create(a, 'still full').expect(409);

    await t.server.deps.db.systemQuery(`UPDATE api_key SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      ids[1],
    ]);
    await create(a, 'after expiry').expect(201);
  });

  it('holds under concurrent creations: one free place is taken exactly once', async () => {
    const c = await t.createOrg();
    for (const name of ['k1', 'k2']) await create(c, name).expect(201);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create(c, `race ${i}`)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });
});
