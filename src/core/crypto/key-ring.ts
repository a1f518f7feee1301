import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '../database/database.js';
import { SecretBox, SecretBoxError, b64u, gcmOpen, gcmSeal } from './secret-box.js';
import { uuidv7 } from './tokens.js';

/** Where a ciphertext lives: it is bound to exactly this org, table, row and field (GCM additional data). */
export interface CipherRef {
  orgId: string;
  table: string;
  rowId: string;
  field: string;
}

export const ENVELOPE_VERSION = 'v2';

const aadOf = (r: CipherRef): string => `tenantflow|${r.orgId}|${r.table}|${r.rowId}|${r.field}`;
const wrapContext = (orgId: string, keyId: string): string => `org_data_key|${orgId}|${keyId}`;

interface DataKeyRow {
  id: string;
  wrapped_key: string;
}

/** The key id an envelope names: an org data key for `v2`, a master key for legacy `v1` values. */
export function envelopeKeyId(envelope: string): string {
  return envelope.split(':', 3)[1] ?? '';
}

/**
 * The one key ring for credentials at rest (SSO client secrets, connection data, secret-provider credentials).
 * Envelope encryption: each org has a data key (AES-256), stored wrapped by the active master key in
 * `org_data_key` (row-level security); values are `v2:<dataKeyId>:<iv>:<tag>:<ciphertext>` (AES-256-GCM, fresh
 * 12-byte IV, base64url) with the org, table, row and field as additional authenticated data. Deleting an org's
 * data keys makes its ciphertexts unreadable. A new master key (first in `TENANTFLOW_ENCRYPTION_KEYS`) gives each
 * org a new data key on its next write; `keys:rotate` moves the existing rows (see key-rotation.ts).
 */
@Injectable()
export class KeyRing {
  constructor(
    private readonly db: Database,
    readonly box: SecretBox,
  ) {}

  async seal(ref: CipherRef, plaintext: string): Promise<string> {
    const key = await this.db.withOrg(ref.orgId, (em) => this.activeKey(em, ref.orgId));
    const [iv, tag, ct] = gcmSeal(key.key, aadOf(ref), plaintext);
    return [
      ENVELOPE_VERSION,
      key.id,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ct.toString('base64url'),
    ].join(':');
  }

  /**
   * Opens a value sealed for `ref`; throws SecretBoxError when it was sealed for another place, was altered, or its
   * data key is gone. `legacyContext` opens values sealed directly with a master key before the key ring (`v1`).
   */
  async open(ref: CipherRef, envelope: string, legacyContext?: string): Promise<string> {
    if (envelope.startsWith('v1:')) {
      if (!legacyContext) throw new SecretBoxError('not a sealed value');
      return this.box.open(envelope, legacyContext);
    }
    const parts = envelope.split(':');
    if (parts.length !== 5 || parts[0] !== ENVELOPE_VERSION) throw new SecretBoxError('not a sealed value');
    const [, keyId, iv, tag, ct] = parts;
    const key = await this.db.withOrg(ref.orgId, (em) => this.keyById(em, ref.orgId, keyId));
    return gcmOpen(key, aadOf(ref), b64u(iv), b64u(tag), b64u(ct)).toString('utf8');
  }

  /**
   * The org's active data key, wrapped by the active master key; creates one (retiring the old) when there is none
   * or the master key changed. The row is share-locked until the caller's transaction ends, so a rotation that
   * retires it waits for values sealed under it to be committed (and then sees them).
   */
  async activeKey(
    em: EntityManager,
    orgId: string,
    opts: { fresh?: boolean } = {},
  ): Promise<{ id: string; key: Buffer }> {
    const master = this.box.currentKeyId;
    if (opts.fresh)
      await em.query(`UPDATE org_data_key SET active = false, retired_at = now() WHERE org_id = $1 AND active`, [
        orgId,
      ]);
    for (let i = 0; i < 3; i++) {
      const [row] = (await em.query(
        `SELECT id, wrapped_key FROM org_data_key WHERE org_id = $1 AND active AND master_key_id = $2 FOR SHARE`,
        [orgId, master],
      )) as DataKeyRow[];
      if (row) return { id: row.id, key: this.unwrap(orgId, row) };
      await em.query(
        `UPDATE org_data_key SET active = false, retired_at = now() WHERE org_id = $1 AND active AND master_key_id <> $2`,
        [orgId, master],
      );
      const id = uuidv7();
      const wrapped = this.box.seal(randomBytes(32).toString('base64'), wrapContext(orgId, id));
      await em.query(
        `INSERT INTO org_data_key (id, org_id, master_key_id, wrapped_key, active) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (org_id) WHERE active DO NOTHING`,
        [id, orgId, master, wrapped],
      );
    }
    throw new SecretBoxError('could not establish an active data key');
  }

  private async keyById(em: EntityManager, orgId: string, keyId: string): Promise<Buffer> {
    if (!/^[0-9a-f-]{36}$/.test(keyId)) throw new SecretBoxError('not a sealed value');
    const [row] = (await em.query(`SELECT id, wrapped_key FROM org_data_key WHERE org_id = $1 AND id = $2`, [
      orgId,
      keyId,
    ])) as DataKeyRow[];
    if (!row) throw new SecretBoxError('the data key of this value does not exist');
    return this.unwrap(orgId, row);
  }

  private unwrap(orgId: string, row: DataKeyRow): Buffer {
    const key = Buffer.from(this.box.open(row.wrapped_key, wrapContext(orgId, row.id)), 'base64');
    if (key.length !== 32) throw new SecretBoxError('a data key is damaged');
    return key;
  }
}
