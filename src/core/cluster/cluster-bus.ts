import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';

/**
 * A named channel of the cluster bus with its wire form. Channels are declared by the module that owns the
 * messages (identity: credential invalidations; execution: cancellations, flow and org changes, run events) and
 * carried by one bus per process.
 */
export interface ClusterChannel<T> {
  readonly name: string;
  encode(message: T): string;
  /** The message, or null for a payload this version does not understand (dropped). */
  decode(payload: string): T | null;
}

const NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** A channel of short text messages (ids); `valid` drops anything else. */
export function textChannel(name: string, valid: (s: string) => boolean = () => true): ClusterChannel<string> {
  if (!NAME_RE.test(name)) throw new Error(`Invalid cluster channel name: ${name}`);
  return { name, encode: (m) => m, decode: (p) => (valid(p) ? p : null) };
}

/** A channel of JSON messages; `guard` drops anything that is not a `T`. */
export function jsonChannel<T>(name: string, guard: (v: unknown) => v is T): ClusterChannel<T> {
  if (!NAME_RE.test(name)) throw new Error(`Invalid cluster channel name: ${name}`);
  return {
    name,
    encode: (m) => JSON.stringify(m),
    decode: (p) => {
      try {
        const v: unknown = JSON.parse(p);
        return guard(v) ? v : null;
      } catch {
        return null;
      }
    },
  };
}

type Handler = (message: never) => void;

/**
 * The one publish/subscribe bus between the processes of a deployment (API instances, later workers). Every
 * message reaches every subscribed process, this one included; delivery is at most once (a process that is
 * disconnected misses messages), so whatever it drives must also be bounded by a cache TTL or a sweep, and
 * handlers must be idempotent (see publishOnCommit).
 * Implementations: PostgreSQL LISTEN/NOTIFY (default) and Redis pub/sub (when `REDIS_URL` is set).
 */
export abstract class ClusterBus {
  private readonly channels = new Map<string, { channel: ClusterChannel<unknown>; handlers: Set<Handler> }>();

  constructor(protected readonly log: Logger) {}

  /** Calls `fn` for every message on `channel`; returns a function that unsubscribes. */
  subscribe<T>(channel: ClusterChannel<T>, fn: (message: T) => void): () => void {
    let entry = this.channels.get(channel.name);
    if (!entry) {
      entry = { channel: channel as ClusterChannel<unknown>, handlers: new Set() };
      this.channels.set(channel.name, entry);
      this.listen(channel.name).catch((e: Error) =>
        this.log.warn({ err: e.message, channel: channel.name }, 'could not subscribe to a cluster channel'),
      );
    }
    const handler = fn as Handler;
    entry.handlers.add(handler);
    return () => void entry.handlers.delete(handler);
  }

  /** Sends now, outside any transaction. Best effort: a failure is logged, never thrown. */
  abstract publish<T>(channel: ClusterChannel<T>, message: T): Promise<void>;

  /**
   * Sends when the transaction of `em` commits (never when it rolls back). This process's handlers run at commit,
   * before the caller answers, and again when the message comes back over the wire: handlers must be idempotent.
   */
  abstract publishOnCommit<T>(em: EntityManager, channel: ClusterChannel<T>, message: T): Promise<void>;

  /** Connects the subscriber (the server calls it once the modules have subscribed). Idempotent. */
  abstract start(): Promise<void>;

  abstract stop(): Promise<void>;

  /** Nest calls it at shutdown. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts receiving a channel (also called for every channel when the subscriber connects). */
  protected abstract listen(name: string): Promise<void>;

  protected channelNames(): string[] {
    return [...this.channels.keys()];
  }

  /** Delivers a received payload to this process's handlers; one failing handler does not stop the others. */
  protected dispatch(name: string, payload: string): void {
    const entry = this.channels.get(name);
    if (!entry) return;
    const message = entry.channel.decode(payload);
    if (message === null) return;
    for (const h of entry.handlers) {
      try {
        (h as (m: unknown) => void)(message);
      } catch (e) {
        this.log.warn({ err: (e as Error).message, channel: name }, 'cluster message handler failed');
      }
    }
  }
}
