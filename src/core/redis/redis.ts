import { Redis } from 'ioredis';

/** A command the shared Redis has not answered within this long fails (rate limits then answer 503, caches refuse). */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * The optional shared Redis (REDIS_URL). Absent on a single machine: limits and caches stay in process.
 * Nothing waits long on it: a command fails after two reconnect attempts or `REDIS_COMMAND_TIMEOUT_MS`, and the
 * rate limiters refuse at once while the connection is not ready (fail closed, see `Limiter`).
 */
export class RedisHolder {
  readonly client?: Redis;

  /** `keyPrefix` (TENANTFLOW_REDIS_KEY_PREFIX) is added by the client to every key, never to pub/sub channels. */
  constructor(
    url?: string,
    readonly keyPrefix = '',
    onError?: (err: Error) => void,
  ) {
    if (url) {
      this.client = new Redis(url, {
        keyPrefix,
        lazyConnect: false,
        maxRetriesPerRequest: 2,
        enableOfflineQueue: true,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      });
      // Every limiter on this shared client listens for its errors: more than Node's default ten.
      this.client.setMaxListeners(100);
      // Connection errors surface on the commands that need Redis (503); the client reconnects by itself.
      this.client.on('error', onError ?? (() => undefined));
    }
  }

  /** Waits (up to `ms`) for the first connection, so a fresh instance does not refuse its first requests. */
  async connected(ms: number): Promise<boolean> {
    const client = this.client;
    if (!client || client.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      client.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    await this.client?.quit().catch(() => undefined);
  }
}
