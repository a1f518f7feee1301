import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Database } from '../../core/database/database.js';
import { LOGGER } from '../../core/logging/logger.js';

export const CREDENTIALS_CHANNEL = 'tenantflow_credentials';

/**
 * What changed, as sent on {@link CREDENTIALS_CHANNEL}:
 * - `<public id>` (16 hex): one API key, platform key or session;
 * - `user:<uuid>`: a user's status, role or project roles (drops their sessions, keys and memberships);
 * - `role:<uuid>`: a custom role's permissions.
 */
export type Invalidation = { kind: 'credential'; publicId: string } | { kind: 'user'; id: string } | { kind: 'role'; id: string };

function parse(payload: string): Invalidation | null {
  if (/^[0-9a-f]{16}$/.test(payload)) return { kind: 'credential', publicId: payload };
  const m = /^(user|role):([0-9a-f-]{36})$/.exec(payload);
  return m ? { kind: m[1] as 'user' | 'role', id: m[2] } : null;
}

const format = (i: Invalidation): string => (i.kind === 'credential' ? i.publicId : `${i.kind}:${i.id}`);

/**
 * Cross-instance cache invalidation over PostgreSQL LISTEN/NOTIFY. Changes call {@link notify} inside their
 * transaction (delivered on commit, to every instance including this one) and {@link local} after commit, so this
 * instance forgets at once. Caches also expire on their own within 500 ms, NOTIFY or not.
 */
@Injectable()
export class InvalidationBus {
  private readonly handlers: ((i: Invalidation) => void)[] = [];
  private listener?: PoolClient;

  constructor(
    private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  subscribe(handler: (i: Invalidation) => void): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    if (this.listener) return;
    const pool = (this.db.system.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    this.listener = await pool.connect();
    this.listener.on('notification', (n) => {
      const parsed = n.channel === CREDENTIALS_CHANNEL && n.payload ? parse(n.payload) : null;
      if (parsed) this.local(parsed);
    });
    this.listener.on('error', (err) => this.log.warn({ err: err.message }, 'credential listener lost; relying on cache expiry'));
    await this.listener.query(`LISTEN ${CREDENTIALS_CHANNEL}`);
  }

  stop(): void {
    this.listener?.release(true);
    this.listener = undefined;
  }

  /** Tells every instance, when the surrounding transaction commits. */
  async notify(em: EntityManager, i: Invalidation): Promise<void> {
    await em.query('SELECT pg_notify($1, $2)', [CREDENTIALS_CHANNEL, format(i)]);
  }

  /** Applies an invalidation on this instance now. */
  local(i: Invalidation): void {
    for (const h of this.handlers) h(i);
  }
}
