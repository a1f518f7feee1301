import { Redis } from 'ioredis';

/**
 * The Redis the Redis-backed tests run against: REDIS_URL, which .ci/run always sets (and starts a server for).
 * Unset on a developer machine, those tests skip saying so; in CI a skip of a security test fails the run.
 */
export const TEST_REDIS_URL = process.env.REDIS_URL;

export function warnIfNoRedis(what: string): void {
  if (!TEST_REDIS_URL) console.warn(`SKIP ${what}: REDIS_URL is not set (.ci/run sets it)`);
}

/** Connects (and fails the hook with the reason when the server does not answer, rather than skipping). */
export async function connectTestRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.ping();
  return redis;
}
