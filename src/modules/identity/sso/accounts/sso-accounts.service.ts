import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { uuidv7 } from '../../../../core/crypto/tokens.js';
import { TenantScopedRepository } from '../../../../core/database/tenant-scoped.repository.js';
import { SsoIdentityEntity } from '../sso-identity.entity.js';
import { SsoLoginFailure } from '../sso.exception.js';
import type { AccountRules, VerifiedIdentity } from '../sso.types.js';
import { SsoDirectoryRefusal, SsoUserDirectory, type SsoUser } from './identity-ports.js';
import { resolveRole } from './role-mapping.js';

const links = new TenantScopedRepository(SsoIdentityEntity);

/** A refusal that concerns a known user (the caller ends that user's sessions after the transaction). */
export class SsoAccountRefusal extends SsoLoginFailure {
  constructor(
    reason: 'no_role' | 'user_deactivated',
    readonly userId: string,
  ) {
    super(reason);
  }
}

/**
 * Maps a verified IdP identity to a user of the org, in the caller's tenant transaction:
 * 1. a link (org, provider, issuer, subject), compared exactly, decides the user;
 * 2. otherwise an existing user is linked by email only if the email matches exactly, the IdP marks it verified,
 *    the configuration allows linking, and that user has no other identity at this IdP;
 * 3. otherwise the user is provisioned (verified email required).
 * The role is recomputed from the group mappings at every sign-in; no role means refused.
 */
@Injectable()
export class SsoAccountsService {
  constructor(private readonly directory: SsoUserDirectory) {}

  async resolve(em: EntityManager, orgId: string, identity: VerifiedIdentity, rules: AccountRules): Promise<SsoUser> {
    if (!identity.subject) throw new SsoLoginFailure('missing_subject');
    const role = resolveRole(rules, identity.groups);
    const key = { orgId, provider: identity.provider, issuer: identity.issuer, subject: identity.subject };
    const link = await links.findOne(em, key);
    if (link) {
      const user = await this.directory.findById(em, orgId, link.userId);
      if (!user) throw new SsoLoginFailure('user_deactivated', 'linked user missing');
      await links.update(em, { orgId, id: link.id }, { lastLoginAt: new Date(), email: identity.email });
      return this.applyRole(em, orgId, user, role);
    }
    if (!identity.email) throw new SsoLoginFailure('missing_email');
    if (!identity.emailVerified) throw new SsoLoginFailure('email_not_verified');
    const existing = await this.directory.findByEmail(em, orgId, identity.email);
    if (existing) {
      // Exact match only: no case folding or normalisation decides that two addresses are one person.
      if (existing.email !== identity.email || !rules.linkByEmail)
        throw new SsoLoginFailure('email_conflict', 'user exists, linking not allowed');
      const other = await links.findOne(em, {
        orgId,
        provider: identity.provider,
        issuer: identity.issuer,
        userId: existing.id,
      });
      if (other) throw new SsoLoginFailure('email_conflict', 'user already linked to another subject of this IdP');
      const user = await this.applyRole(em, orgId, existing, role);
      await this.link(em, key, user.id, identity.email);
      return user;
    }
    if (!role) throw new SsoLoginFailure('no_role');
    const created = await this.mapDirectoryErrors(() =>
      this.directory.create(em, { orgId, email: identity.email!, displayName: identity.displayName, role }),
    );
    await this.link(em, key, created.id, identity.email);
    return created;
  }

  private async applyRole(em: EntityManager, orgId: string, user: SsoUser, role: string | null): Promise<SsoUser> {
    if (user.status !== 'active') throw new SsoAccountRefusal('user_deactivated', user.id);
    if (!role) throw new SsoAccountRefusal('no_role', user.id);
    if (user.role === role) return user;
    return this.mapDirectoryErrors(() => this.directory.setRole(em, orgId, user.id, role), user.id);
  }

  private async link(
    em: EntityManager,
    key: { orgId: string; provider: SsoIdentityEntity['provider']; issuer: string; subject: string },
    userId: string,
    email: string | null,
  ): Promise<void> {
    await links.insert(
      em,
      Object.assign(new SsoIdentityEntity(), { id: uuidv7(), ...key, userId, email, lastLoginAt: new Date() }),
    );
  }

  /** The directory's refusals (taken email, last owner, unassignable role) become reasons; anything else propagates. */
  private async mapDirectoryErrors<T>(fn: () => Promise<T>, userId?: string): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof SsoDirectoryRefusal)) throw e;
      if (e.reason === 'email_conflict') throw new SsoLoginFailure('email_conflict', e.code);
      // The last owner keeps the role: refuse this sign-in without ending the owner's other sessions.
      if (e.reason === 'last_owner' || !userId) throw new SsoLoginFailure('no_role', e.code);
      throw new SsoAccountRefusal('no_role', userId);
    }
  }
}
