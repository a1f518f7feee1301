import type { EntityManager } from 'typeorm';
import type { CipherRef, KeyRing } from '../../core/crypto/key-ring.js';
import { registerEncryptedColumn } from '../../core/crypto/key-rotation.js';
import { TenantScopedRepository } from '../../core/database/tenant-scoped.repository.js';
import { ConnectionEntity } from './connection.entity.js';

export const connectionsRepo = new TenantScopedRepository(ConnectionEntity);

// Both envelopes are re-encrypted by `keys:rotate`.
registerEncryptedColumn({ table: 'connection', column: 'secret_data', field: 'secret_data' });
registerEncryptedColumn({ table: 'connection', column: 'token_data', field: 'token_data' });

export const secretsRef = (orgId: string, id: string): CipherRef => ({
  orgId,
  table: 'connection',
  rowId: id,
  field: 'secret_data',
});
export const tokenRef = (orgId: string, id: string): CipherRef => ({
  orgId,
  table: 'connection',
  rowId: id,
  field: 'token_data',
});

/** OAuth2 tokens as sealed in `token_data`. */
export interface StoredTokens {
  accessToken: string;
  tokenType?: string;
  refreshToken?: string;
}

export async function openSecrets(keys: KeyRing, row: ConnectionEntity): Promise<Record<string, string>> {
  if (!row.secretData) return {};
  return JSON.parse(await keys.open(secretsRef(row.orgId, row.id), row.secretData)) as Record<string, string>;
}

export async function openTokens(keys: KeyRing, row: ConnectionEntity): Promise<StoredTokens | null> {
  if (!row.tokenData) return null;
  return JSON.parse(await keys.open(tokenRef(row.orgId, row.id), row.tokenData)) as StoredTokens;
}

/** The CASL fields a connection is checked on: editors manage project connections, not org ones (`scope`). */
export const connectionFields = (c: Pick<ConnectionEntity, 'orgId' | 'id' | 'projectId'>) => ({
  orgId: c.orgId,
  id: c.id,
  projectId: c.projectId,
  scope: c.projectId ? 'project' : 'org',
});

/**
 * A connection the flows of `projectId` may use: one of that project, or an org connection (a predefined one pinned
 * to projects only in those); an embedded project only predefined org connections. Anything else, including another
 * org's, is simply not found.
 */
export async function findUsable(
  em: EntityManager,
  orgId: string,
  projectId: string,
  id: string,
  lock = false,
): Promise<ConnectionEntity | null> {
  const qb = em
    .getRepository(ConnectionEntity)
    .createQueryBuilder('c')
    .where('c.org_id = :orgId AND c.id = :id', { orgId, id })
    .andWhere(
      '(c.project_id = :projectId OR (c.project_id IS NULL AND (c.allowed_project_ids IS NULL OR :projectId = ANY(c.allowed_project_ids))))',
      { projectId },
    )
    // An embedded project (provisioned by an embed token) may use only the org connections offered to it: predefined.
    .andWhere(
      '(c.project_id IS NOT NULL OR c.predefined OR NOT EXISTS (SELECT 1 FROM project p WHERE p.id = :projectId AND p.external_id IS NOT NULL))',
      { projectId },
    );
  if (lock) qb.setLock('pessimistic_write');
  return qb.getOne();
}
