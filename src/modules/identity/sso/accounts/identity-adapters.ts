import { Injectable } from '@nestjs/common';
import type { CookieOptions } from 'express';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../../../core/config/app-config.js';
import {
  IdentityException,
  IdentityModule,
  SESSION_COOKIE,
  SessionsService,
  UsersService,
  sessionCookieOptions,
  type IdentityErrorCode,
} from '../../index.js';
import {
  SsoDirectoryRefusal,
  SsoSessionIssuer,
  SsoUserDirectory,
  type OpenedSsoSession,
  type SsoDirectoryRefusalReason,
  type SsoUser,
} from './identity-ports.js';

/** Identity's error codes that refuse a sign-in, by code (a new code is a decision here, not a regex accident). */
export const DIRECTORY_REFUSALS: Partial<Record<IdentityErrorCode, SsoDirectoryRefusalReason>> = {
  user_exists: 'email_conflict',
  last_owner: 'last_owner',
  unknown_role: 'no_role',
  role_not_found: 'no_role',
};

async function refusalsByCode<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const reason = e instanceof IdentityException ? DIRECTORY_REFUSALS[e.code as IdentityErrorCode] : undefined;
    if (reason) throw new SsoDirectoryRefusal(reason, (e as IdentityException).code);
    throw e;
  }
}

/** Users through identity's UsersService (role checks, `user.created` / `user.updated` events). */
@Injectable()
export class IdentityUserDirectory extends SsoUserDirectory {
  constructor(private readonly users: UsersService) {
    super();
  }

  findById(em: EntityManager, orgId: string, id: string): Promise<SsoUser | null> {
    return this.users.findByIdInTx(em, orgId, id);
  }

  findByEmail(em: EntityManager, orgId: string, email: string): Promise<SsoUser | null> {
    return this.users.findByEmail(em, orgId, email);
  }

  create(
    em: EntityManager,
    input: { orgId: string; email: string; displayName: string | null; role: string },
  ): Promise<SsoUser> {
    return refusalsByCode(() => this.users.createInTx(em, input));
  }

  setRole(em: EntityManager, orgId: string, userId: string, role: string): Promise<SsoUser> {
    return refusalsByCode(() => this.users.setRoleInTx(em, orgId, userId, role));
  }
}

/** Sessions through identity's SessionsService and its cookie attributes. */
@Injectable()
class IdentitySessionIssuer extends SsoSessionIssuer {
  readonly cookieName = SESSION_COOKIE;

  constructor(
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  open(input: {
    orgId: string;
    userId: string;
    method: 'saml' | 'oidc';
    ip?: string;
    userAgent?: string;
  }): Promise<OpenedSsoSession> {
    return this.sessions.open(input);
  }

  async revokeForUser(orgId: string, userId: string): Promise<void> {
    await this.sessions.revokeForUser(orgId, userId);
  }

  cookieOptions(expiresAt: Date): CookieOptions {
    return sessionCookieOptions(this.config, expiresAt);
  }
}

/** Binds SSO's ports to the identity module. */
export const IDENTITY_ADAPTERS = {
  imports: [IdentityModule],
  providers: [
    { provide: SsoUserDirectory, useClass: IdentityUserDirectory },
    { provide: SsoSessionIssuer, useClass: IdentitySessionIssuer },
  ],
};
