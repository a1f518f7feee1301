import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limiter } from '../../src/core/http/rate-limit.js';
import { RedisHolder } from '../../src/core/redis/redis.js';
import { MemoryReplayCache, RedisReplayCache, type ReplayCache } from '../../src/modules/webhooks/index.js';
import { connectTestRedis, TEST_REDIS_URL, warnIfNoRedis } from '../utils/redis.js';

warnIfNoRedis('redis-limits (webhook replay cache, rate limiter on Redis)');

/** Polls until `check` holds (expiry is the store's clock, not ours), up to a bound that holds on a busy machine. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

function replayContract(name: string, make: () => ReplayCache): void {
  describe(`${name} webhook replay cache`, () => {
    it('answers "first seen" once per key, also to concurrent callers, and keeps keys apart', async () => {
      const cache = make();
      const key = `sig-${randomUUID()}`;
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => cache.firstSeen(key, 60_000)));
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(await cache.firstSeen(key, 60_000)).toBe(false);
      expect(await cache.firstSeen(`${key}-other`, 60_000)).toBe(true);
    });

    it('forgets a key after its window', async () => {
      const cache = make();
      const key = `sig-${randomUUID()}`;
      expect(await cache.firstSeen(key, 100)).toBe(true);
      expect(await cache.firstSeen(key, 100)).toBe(false);
      expect(await eventually(() => cache.firstSeen(key, 100))).toBe(true);
    });
  });
}

function limiterContract(name: string, make: (name: string, points: number) => Limiter[]): void {
  describe(`${name} rate limiter`, () => {
    it('allows the limit, then refuses with 429 rate_limited and RateLimit headers; other keys are unaffected', async () => {
      const [limiter] = make(`t${randomUUID().slice(0, 8)}`, 3);
      const states = [];
      for (let i = 0; i < 3; i++) states.push(await limiter.consume('k'));
      expect(states.map((s) => s.remaining)).toEqual([2, 1, 0]);
      const refused = await limiter.consume('k').catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'rate_limited' });
      expect((refused as { extra: { headers: Record<string, string> } }).extra.headers).toMatchObject({
        'RateLimit-Limit': '3',
        'RateLimit-Remaining': '0',
      });
      await expect(limiter.assertNotBlocked('k')).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(limiter.consume('other')).resolves.toMatchObject({ remaining: 2 });
    });

    it('counts penalties', async () => {
      const [limiter] = make(`t${randomUUID().slice(0, 8)}`, 2);
      await limiter.penalize('k');
      await limiter.penalize('k');
      await expect(limiter.assertNotBlocked('k')).rejects.toMatchObject({ code: 'rate_limited' });
    });
  });
}

replayContract('in-memory', () => new MemoryReplayCache());
limiterContract('in-memory', (n, points) => [new Limiter(n, points, 60)]);

describe.skipIf(!TEST_REDIS_URL)('on Redis (shared by instances)', () => {
  const clients: Redis[] = [];
  beforeAll(async () => {
    clients.push(await connectTestRedis(), await connectTestRedis());
  });
  afterAll(() => clients.forEach((c) => c.disconnect()));

  replayContract('Redis', () => new RedisReplayCache(clients[0]));
  limiterContract('Redis', (n, points) => [
    new Limiter(n, points, 60, clients[0]),
    new Limiter(n, points, 60, clients[1]),
  ]);

  it('shares the replay window across instances: a signature seen by one is refused by the other', async () => {
    const [one, two] = clients.map((c) => new RedisReplayCache(c));
    const key = `sig-${randomUUID()}`;
    expect(await one.firstSeen(key, 60_000)).toBe(true);
    expect(await two.firstSeen(key, 60_000)).toBe(false);
  });

  it('shares the limit across instances: points taken on one are gone on the other', async () => {
    const name = `t${randomUUID().slice(0, 8)}`;
    const [one, two] = clients.map((c) => new Limiter(name, 2, 60, c));
    await one.consume('k');
    await two.consume('k');
    await expect(one.consume('k')).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(two.consume('k')).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('fails closed when Redis does not answer: the replay cache refuses', async () => {
    const dead = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    try {
      expect(await new RedisReplayCache(dead).firstSeen(`sig-${randomUUID()}`, 60_000)).toBe(false);
    } finally {
      dead.disconnect();
    }
  });
});

/**
 * A limited request never waits on a Redis that cannot answer, and is never let through unlimited: the limiter
 * refuses at once with 503 rate_limit_unavailable. The client is configured as the server configures it
 * (`RedisHolder`), against a closed port and against a server that accepts connections but never answers.
 */
describe('when the shared Redis cannot answer', () => {
  async function expectUnavailable(holder: RedisHolder): Promise<void> {
    holder.client!.on('error', () => undefined);
    // Give the client time to try (and fail) its first connection: the state a running server is in.
    await new Promise((r) => setTimeout(r, 300));
    const limiter = new Limiter(`t${randomUUID().slice(0, 8)}`, 5, 60, holder.client);
    for (const attempt of [() => limiter.consume('k'), () => limiter.assertNotBlocked('k')]) {
      const started = Date.now();
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(1500);
      expect(error).toMatchObject({ code: 'rate_limit_unavailable', status: 503 });
      expect((error as { extra: { headers: Record<string, string> } }).extra.headers['Retry-After']).toBe('1');
    }
  }

  it('a closed port: 503 at once', async () => {
    const holder = new RedisHolder('redis://127.0.0.1:1');
    try {
      await expectUnavailable(holder);
    } finally {
      holder.client!.disconnect();
    }
  });

  it('a server that accepts connections and never answers: 503 at once', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const holder = new RedisHolder(`redis://127.0.0.1:${port}`);
    try {
      await expectUnavailable(holder);
    } finally {
      holder.client!.disconnect();
      silent.close();
    }
  });
});
