import { Redis } from 'ioredis';

/** The optional shared Redis (REDIS_URL). Absent on a single machine: limits and caches stay in process. */
export class RedisHolder {
  readonly client?: Redis;

  constructor(url?: string) {
    if (url) {
      this.client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
      // Connection errors surface on the commands that need Redis (503); the client reconnects by itself.
      this.client.on('error', () => undefined);
    }
  }

  async close(): Promise<void> {
    await this.client?.quit().catch(() => undefined);
  }
}
