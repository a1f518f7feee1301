import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/modules/identity/index.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Failed authentication is limited per client address: 429 with Retry-After once the budget is spent. */
describe('failed-authentication rate limit', () => {
  let t: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_AUTH_FAILURE_LIMIT: '20' });
    org = await t.createOrg();
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After and RateLimit headers after 20 failures a minute from one address', async () => {
    const bad = `tfk_0000000000000000_${'A'.repeat(43)}`;
    for (let i = 0; i < 10; i++) await t.http().get('/api/v1/org').set(bearer(bad)).expect(401);
    for (let i = 0; i < 10; i++)
      await t
        .http()
        .get('/api/v1/org')
        .set('Cookie', `${SESSION_COOKIE}=tfs_0000000000000000_${'B'.repeat(43)}`)
        .expect(401);
    const limited = await t.http().get('/api/v1/org').set(bearer(bad)).expect(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-limit']).toBe('20');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    // The address is blocked for the window, whatever it presents next.
    await t.http().get('/api/v1/org').set(bearer(org.ownerKey)).expect(429);
    // Requests without any credential are not attempts: plain 401, not counted.
    await t.http().get('/api/v1/org').expect(401);
  });
});
