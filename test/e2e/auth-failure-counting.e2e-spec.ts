import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_CACHE_TTL_MS } from '../../src/modules/identity/index.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Issue 11: refusals of a suspended org's valid credentials are not failed authentications, and the platform key is
 * never rate-limited by another principal's failures (one client address: NAT, proxy, or here loopback).
 */
describe('which failed authentications count against a client address', () => {
  let t: TestApp;
  let suspended: TestOrg;
  let other: TestOrg;
  const LIMIT = 5;
  const unknownKey = `tfk_0000000000000000_${'A'.repeat(43)}`;
  const unknownPlatformKey = `tfp_0000000000000000_${'A'.repeat(43)}`;
  const get = (key: string) => t.http().get('/api/v1/org').set(bearer(key));
  const setStatus = (org: TestOrg, status: string) =>
    t.http().patch(`/api/v1/platform/orgs/${org.id}`).set(bearer(t.platformKey)).send({ status });

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_AUTH_FAILURE_LIMIT: String(LIMIT) });
    suspended = await t.createOrg();
    other = await t.createOrg();
  });
  afterAll(() => t.close());

  it("a suspended org's valid key is refused 403 every time, never 429, and blocks nobody", async () => {
    await setStatus(suspended, 'suspended').expect(200);
    for (let i = 0; i < LIMIT * 4; i++) expect((await get(suspended.ownerKey)).body.code).toBe('org_suspended');
    await get(other.ownerKey).expect(200);
    await setStatus(suspended, 'active').expect(200);
    // Credentials are cached briefly (CREDENTIAL_CACHE_TTL_MS); the reactivation shows once that passes.
    await new Promise((r) => setTimeout(r, CREDENTIAL_CACHE_TTL_MS + 100));
    await get(suspended.ownerKey).expect(200);
  });

  it('unknown keys block the address for org credentials, but not the platform key, which can still lift a suspension', async () => {
    await setStatus(suspended, 'suspended').expect(200);
    for (let i = 0; i < LIMIT; i++) await get(unknownKey).expect(401);
    expect((await get(other.ownerKey)).status).toBe(429);
    await setStatus(suspended, 'active').expect(200);
    await t.http().get('/api/v1/platform/orgs').set(bearer(t.platformKey)).expect(200);
  });

  it('platform-key guessing is limited on its own budget', async () => {
    const fresh = await createTestApp({ TENANTFLOW_AUTH_FAILURE_LIMIT: String(LIMIT) });
    try {
      for (let i = 0; i < LIMIT; i++)
        await fresh.http().get('/api/v1/platform/orgs').set(bearer(unknownPlatformKey)).expect(401);
      await fresh.http().get('/api/v1/platform/orgs').set(bearer(fresh.platformKey)).expect(429);
      const org = await fresh.createOrg();
      await fresh.http().get('/api/v1/org').set(bearer(org.ownerKey)).expect(200);
    } finally {
      await fresh.close();
    }
  });
});
