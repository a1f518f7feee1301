import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgSsoStateStore } from '../../src/modules/identity/sso/state/pg-sso-state.store.js';
import { RedisSsoStateStore } from '../../src/modules/identity/sso/state/redis-sso-state.store.js';
import type { SsoStateStore } from '../../src/modules/identity/sso/state/sso-state.store.js';
import { connectTestRedis, TEST_REDIS_URL, warnIfNoRedis } from '../utils/redis.js';
import { createTestApp, type TestApp } from '../utils/test-app.js';

warnIfNoRedis('sso-state (redis)');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const flow = (state: string) => ({
  state,
  bindingHash: randomBytes(32),
  nonce: 'n',
  codeVerifier: 'v',
  returnTo: '/r',
});

/** The contract both stores keep: org-scoped, single use under concurrency, expiring. */
function contract(name: string, get: () => { store: SsoStateStore; orgA: string; orgB: string }): void {
  describe(`${name} SSO state store`, () => {
    it('keeps SAML request ids per org and hands each out once, even to concurrent takers', async () => {
      const { store, orgA, orgB } = get();
      const bindingHash = randomBytes(32);
      await store.saveSamlRequest(orgA, '_req1', { returnTo: '/back', bindingHash }, 60_000);
      expect(await store.getSamlRequest(orgB, '_req1')).toBeNull();
      expect(await store.takeSamlRequest(orgB, '_req1')).toBeNull();
      expect((await store.getSamlRequest(orgA, '_req1'))?.returnTo).toBe('/back');
      const takes = await Promise.all([1, 2, 3, 4].map(() => store.takeSamlRequest(orgA, '_req1')));
      expect(takes.filter(Boolean)).toHaveLength(1);
      expect(takes.find(Boolean)?.bindingHash?.equals(bindingHash)).toBe(true);
      expect(await store.getSamlRequest(orgA, '_req1')).toBeNull();
    });

    it('records an assertion id once; concurrent replays lose', async () => {
      const { store, orgA, orgB } = get();
      const until = new Date(Date.now() + 60_000);
      const marks = await Promise.all([1, 2, 3].map(() => store.markAssertionSeen(orgA, '_a1', until)));
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect(await store.assertionSeen(orgA, '_a1')).toBe(true);
      expect(await store.assertionSeen(orgB, '_a1')).toBe(false);
    });

    it('hands an OIDC flow out once, to its own org', async () => {
      const { store, orgA, orgB } = get();
      const f = flow('state-1');
      await store.saveOidcFlow(orgA, f, 60_000);
      expect(await store.takeOidcFlow(orgB, 'state-1')).toBeNull();
      const taken = await store.takeOidcFlow(orgA, 'state-1');
      expect(taken?.bindingHash.equals(f.bindingHash)).toBe(true);
      expect(await store.takeOidcFlow(orgA, 'state-1')).toBeNull();
    });

    it('forgets expired state', async () => {
      const { store, orgA } = get();
      await store.saveSamlRequest(orgA, '_short', { returnTo: '/', bindingHash: randomBytes(32) }, 50);
      await store.saveOidcFlow(orgA, flow('short'), 50);
      await sleep(1100);
      expect(await store.getSamlRequest(orgA, '_short')).toBeNull();
      expect(await store.takeOidcFlow(orgA, 'short')).toBeNull();
    });
  });
}

let t: TestApp;
let orgA = '';
let orgB = '';
let redis: Redis | undefined;

beforeAll(async () => {
  t = await createTestApp();
  orgA = (await t.createOrg()).id;
  orgB = (await t.createOrg()).id;
  if (TEST_REDIS_URL) redis = await connectTestRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await t.close();
});

contract('PostgreSQL', () => ({ store: new PgSsoStateStore(t.server.deps.db), orgA, orgB }));
describe.skipIf(!TEST_REDIS_URL)('with Redis', () => {
  contract('Redis', () => ({ store: new RedisSsoStateStore(redis!), orgA, orgB }));
});
