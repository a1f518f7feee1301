import { Injectable } from '@nestjs/common';
import type { CookieOptions } from 'express';
import type { EntityManager } from 'typeorm';
import { uuidv7 } from '../../../../core/crypto/tokens.js';
import { IdentityModule, UserEntity } from '../../index.js';
import { SsoLoginFailure } from '../sso.exception.js';
import { SsoSessionIssuer, SsoUserDirectory, type OpenedSsoSession, type SsoUser } from './identity-ports.js';

// INTERIM until identity's UsersService / SessionsService land: users through the entity, no sessions.
@Injectable()
class InterimUserDirectory extends SsoUserDirectory {
  findById(em: EntityManager, orgId: string, id: string): Promise<SsoUser | null> {
    return em.getRepository(UserEntity).findOneBy({ orgId, id });
  }

  findByEmail(em: EntityManager, orgId: string, email: string): Promise<SsoUser | null> {
    return em.getRepository(UserEntity).findOneBy({ orgId, email });
  }

  async create(em: EntityManager, input: { orgId: string; email: string; displayName: string | null; role: string }): Promise<SsoUser> {
    const row = Object.assign(new UserEntity(), { id: uuidv7(), ...input, status: 'active' as const });
    await em.getRepository(UserEntity).insert(row);
    return row;
  }

  async setRole(em: EntityManager, orgId: string, userId: string, role: string): Promise<SsoUser> {
    await em.getRepository(UserEntity).update({ orgId, id: userId }, { role });
    return (await em.getRepository(UserEntity).findOneBy({ orgId, id: userId }))!;
  }
}

@Injectable()
class InterimSessionIssuer extends SsoSessionIssuer {
  readonly cookieName = 'tenantflow_session';

  open(): Promise<OpenedSsoSession> {
    return Promise.reject(new SsoLoginFailure('session_unavailable'));
  }

  async revokeForUser(): Promise<void> {}

  cookieOptions(expiresAt: Date): CookieOptions {
    return { httpOnly: true, sameSite: 'lax', path: '/', expires: expiresAt };
  }
}

/** Binds SSO's ports to the identity module. */
export const IDENTITY_ADAPTERS = {
  imports: [IdentityModule],
  providers: [
    { provide: SsoUserDirectory, useClass: InterimUserDirectory },
    { provide: SsoSessionIssuer, useClass: InterimSessionIssuer },
  ],
};
