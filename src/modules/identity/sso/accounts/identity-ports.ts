import type { CookieOptions } from 'express';
import type { EntityManager } from 'typeorm';

/** The user fields sign-in needs. */
export interface SsoUser {
  id: string;
  email: string;
  role: string;
  status: string;
}

export interface OpenedSsoSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** Why the directory refused a write sign-in asked for; every other error propagates unchanged. */
export type SsoDirectoryRefusalReason = 'email_conflict' | 'no_role' | 'last_owner';

export class SsoDirectoryRefusal extends Error {
  constructor(
    readonly reason: SsoDirectoryRefusalReason,
    /** The directory's own error code, for the server log. */
    readonly code: string,
  ) {
    super(`directory refused: ${code}`);
  }
}

/**
 * What SSO needs from users (identity's UsersService). All methods run in the caller's tenant transaction; `create`
 * and `setRole` throw {@link SsoDirectoryRefusal} on an unassignable role, the last owner or an email taken concurrently.
 */
export abstract class SsoUserDirectory {
  abstract findById(em: EntityManager, orgId: string, id: string): Promise<SsoUser | null>;
  abstract findByEmail(em: EntityManager, orgId: string, email: string): Promise<SsoUser | null>;
  abstract create(
    em: EntityManager,
    input: { orgId: string; email: string; displayName: string | null; role: string },
  ): Promise<SsoUser>;
  abstract setRole(em: EntityManager, orgId: string, userId: string, role: string): Promise<SsoUser>;
}

/** What SSO needs from sessions (identity's SessionsService and cookie helpers). */
export abstract class SsoSessionIssuer {
  abstract readonly cookieName: string;
  /** Opens a session (joins the caller's transaction for the same org). */
  abstract open(input: {
    orgId: string;
    userId: string;
    method: 'saml' | 'oidc';
    ip?: string;
    userAgent?: string;
  }): Promise<OpenedSsoSession>;
  abstract revokeForUser(orgId: string, userId: string): Promise<void>;
  abstract cookieOptions(expiresAt: Date): CookieOptions;
}
