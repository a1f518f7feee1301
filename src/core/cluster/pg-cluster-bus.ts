import type pg from 'pg';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database.js';
import { ClusterBus, type ClusterChannel } from './cluster-bus.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;
const RECONNECT_MS = 1000;

/**
 * The cluster bus on PostgreSQL LISTEN/NOTIFY: one dedicated connection per process listens on every subscribed
 * channel; NOTIFY inside a transaction is delivered on commit, which is what {@link publishOnCommit} relies on.
 * A lost connection is reopened after a second (messages sent meanwhile are missed; see ClusterBus).
 */
export class PgClusterBus extends ClusterBus {
  private client?: pg.Client;
  private connecting?: Promise<void>;
  private stopped = true;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    log: Logger,
  ) {
    super(log);
  }

  async publish<T>(channel: ClusterChannel<T>, message: T): Promise<void> {
    const payload = this.payload(channel, message);
    await this.db
      .notify(channel.name, payload)
      .catch((e: Error) =>
        this.log.warn({ err: e.message, channel: channel.name }, 'could not publish a cluster message'),
      );
  }

  async publishOnCommit<T>(em: EntityManager, channel: ClusterChannel<T>, message: T): Promise<void> {
    const payload = this.payload(channel, message);
    await em.query('SELECT pg_notify($1, $2)', [channel.name, payload]);
    // Here at once: the NOTIFY reaches this process's listener only after the caller may have answered.
    this.db.afterCommit(em, () => this.dispatch(channel.name, payload));
  }

  start(): Promise<void> {
    this.stopped = false;
    return (this.connecting ??= this.connect().finally(() => (this.connecting = undefined)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  protected async listen(name: string): Promise<void> {
    await this.client?.query(`LISTEN ${name}`);
  }

  private payload<T>(channel: ClusterChannel<T>, message: T): string {
    const payload = channel.encode(message);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
      throw new Error(`Cluster message on ${channel.name} exceeds the NOTIFY payload limit`);
    return payload;
  }

  private async connect(): Promise<void> {
    if (this.client || this.stopped) return;
    const client = await this.db.dedicatedClient('tenantflow:bus');
    client.on('notification', (n) => this.dispatch(n.channel, n.payload ?? ''));
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'cluster bus connection lost; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    this.client = client;
    for (const name of this.channelNames()) await client.query(`LISTEN ${name}`);
  }

  private reconnect(lost: pg.Client): void {
    if (this.client !== lost || this.stopped) return;
    this.client = undefined;
    lost.end().catch(() => undefined);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.start().catch((e: Error) => {
        this.log.warn({ err: e.message }, 'cluster bus reconnect failed; retrying');
        this.retryLater();
      });
    }, RECONNECT_MS);
    this.retry.unref();
  }
}
