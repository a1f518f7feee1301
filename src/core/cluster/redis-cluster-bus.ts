import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database.js';
import { ClusterBus, type ClusterChannel } from './cluster-bus.js';

/**
 * The cluster bus on Redis pub/sub, chosen when `REDIS_URL` is set: a second connection (a subscriber cannot send
 * commands) receives; the shared client publishes. Redis knows nothing of database transactions, so
 * {@link publishOnCommit} publishes from the database's after-commit hook (nothing is sent on rollback).
 */
export class RedisClusterBus extends ClusterBus {
  private subscriber?: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly db: Database,
    log: Logger,
  ) {
    super(log);
  }

  async publish<T>(channel: ClusterChannel<T>, message: T): Promise<void> {
    await this.redis
      .publish(channel.name, channel.encode(message))
      .catch((e: Error) =>
        this.log.warn({ err: e.message, channel: channel.name }, 'could not publish a cluster message'),
      );
  }

  async publishOnCommit<T>(em: EntityManager, channel: ClusterChannel<T>, message: T): Promise<void> {
    const payload = channel.encode(message);
    this.db.afterCommit(em, () => {
      this.dispatch(channel.name, payload);
      this.redis
        .publish(channel.name, payload)
        .catch((e: Error) =>
          this.log.warn({ err: e.message, channel: channel.name }, 'could not publish a cluster message'),
        );
    });
  }

  async start(): Promise<void> {
    if (this.subscriber) return;
    const sub = this.redis.duplicate();
    this.subscriber = sub;
    sub.on('message', (name: string, payload: string) => this.dispatch(name, payload));
    // ioredis reconnects and resubscribes by itself; messages sent meanwhile are missed (see ClusterBus).
    sub.on('error', (err: Error) => this.log.warn({ err: err.message }, 'cluster bus connection error'));
    const names = this.channelNames();
    if (names.length) await sub.subscribe(...names);
  }

  async stop(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    await sub?.quit().catch(() => undefined);
  }

  protected async listen(name: string): Promise<void> {
    await this.subscriber?.subscribe(name);
  }
}
