import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { KeyRing } from '../../../core/crypto/key-ring.js';
import { Database } from '../../../core/database/database.js';
import { ConnectionEntity } from '../connection.entity.js';
import { openTokens, tokenRef, type StoredTokens } from '../connection-store.js';
import { requestToken, TokenRequestError, type HttpCall, type TokenResponse } from './token-client.js';

/** A token this close to expiry is renewed before use. */
const EXPIRY_MARGIN_MS = 30_000;

const isFresh = (r: Pick<ConnectionEntity, 'tokenData' | 'tokenExpiresAt'>): boolean =>
  !!r.tokenData && (!r.tokenExpiresAt || r.tokenExpiresAt.getTime() - EXPIRY_MARGIN_MS > Date.now());

/**
 * OAuth2 access tokens of connections: client credentials obtained, authorization-code tokens refreshed, both under
 * the connection's row lock (`SELECT … FOR UPDATE`), so concurrent runs cause one token request and the others use
 * its result. Tokens are sealed with the key ring (`token_data`). Only the connection's configured token URL is called.
 */
@Injectable()
export class OAuth2Tokens {
  constructor(
    private readonly db: Database,
    private readonly keys: KeyRing,
  ) {}

  async accessToken(row: ConnectionEntity, client: { id: string; secret: string }, http: HttpCall): Promise<string> {
    if (isFresh(row)) return (await openTokens(this.keys, row))!.accessToken;
    return this.db.withOrg(row.orgId, async (em) => {
      const locked = await em
        .getRepository(ConnectionEntity)
        .findOne({ where: { orgId: row.orgId, id: row.id }, lock: { mode: 'pessimistic_write' } });
      if (!locked) throw new TokenRequestError('connection_deleted');
      // Another run may have renewed it while this one waited for the lock.
      if (isFresh(locked)) return (await openTokens(this.keys, locked))!.accessToken;
      const current = await openTokens(this.keys, locked);
      const s = locked.settings;
      const scope = Array.isArray(s.scopes) && s.scopes.length ? (s.scopes as string[]).join(' ') : undefined;
      let res: TokenResponse;
      if (s.grantType === 'client_credentials') {
        res = await requestToken(http, s.tokenUrl, client, { grant_type: 'client_credentials', scope });
      } else if (current?.refreshToken) {
        res = await requestToken(http, s.tokenUrl, client, {
          grant_type: 'refresh_token',
          refresh_token: current.refreshToken,
        });
      } else {
        throw new TokenRequestError('not_authorized');
      }
      await this.store(em, locked, res, current?.refreshToken);
      return res.accessToken;
    });
  }

  /** Seals and stores a token answer (keeping the old refresh token when the server issued no new one). */
  async store(
    em: EntityManager,
    row: Pick<ConnectionEntity, 'orgId' | 'id'>,
    res: TokenResponse,
    previousRefresh?: string,
  ): Promise<void> {
    const tokens: StoredTokens = {
      accessToken: res.accessToken,
      tokenType: res.tokenType,
      refreshToken: res.refreshToken ?? previousRefresh,
    };
    const sealed = await this.keys.seal(tokenRef(row.orgId, row.id), JSON.stringify(tokens));
    const expiresAt = res.expiresIn ? new Date(Date.now() + res.expiresIn * 1000) : null;
    await em
      .getRepository(ConnectionEntity)
      .update({ orgId: row.orgId, id: row.id }, { tokenData: sealed, tokenExpiresAt: expiresAt });
  }
}
