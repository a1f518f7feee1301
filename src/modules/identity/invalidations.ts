import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ClusterBus, textChannel } from '../../core/cluster/cluster-bus.js';

/**
 * What changed, as sent on {@link CREDENTIALS_CHANNEL}:
 * - `<public id>` (16 hex): one API key, platform key or session;
 * - `user:<uuid>`: a user's status, role or project roles (drops their sessions, keys and memberships);
 * - `role:<uuid>`: a custom role's permissions.
 */
export type Invalidation =
  { kind: 'credential'; publicId: string } | { kind: 'user'; id: string } | { kind: 'role'; id: string };

function parse(payload: string): Invalidation | null {
  if (/^[0-9a-f]{16}$/.test(payload)) return { kind: 'credential', publicId: payload };
  const m = /^(user|role):([0-9a-f-]{36})$/.exec(payload);
  return m ? { kind: m[1] as 'user' | 'role', id: m[2] } : null;
}

const format = (i: Invalidation): string => (i.kind === 'credential' ? i.publicId : `${i.kind}:${i.id}`);

/** The cluster channel of credential and permission changes (the wire form is the text above). */
export const CREDENTIALS_CHANNEL = textChannel('tenantflow_credentials', (p) => parse(p) !== null);

/**
 * Cross-instance cache invalidation of credentials and permissions, on the cluster bus. Changes call {@link notify}
 * inside their transaction (sent on commit, to every instance including this one) and {@link local} after commit,
 * so this instance forgets at once. Caches also expire on their own within 500 ms, message or not.
 */
@Injectable()
export class Invalidations {
  private readonly handlers: ((i: Invalidation) => void)[] = [];

  constructor(private readonly bus: ClusterBus) {
    bus.subscribe(CREDENTIALS_CHANNEL, (payload) => {
      const parsed = parse(payload);
      if (parsed) this.local(parsed);
    });
  }

  subscribe(handler: (i: Invalidation) => void): void {
    this.handlers.push(handler);
  }

  /** Tells every instance, when the surrounding transaction commits. */
  async notify(em: EntityManager, i: Invalidation): Promise<void> {
    await this.bus.publishOnCommit(em, CREDENTIALS_CHANNEL, format(i));
  }

  /** Applies an invalidation on this instance now. */
  local(i: Invalidation): void {
    for (const h of this.handlers) h(i);
  }
}
