import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { CommonException } from '../../../../core/errors/app.exception.js';
import { IdentityException, type IdentityErrorCode, type UsersService } from '../../index.js';
import { IdentityUserDirectory } from '../accounts/identity-adapters.js';
import { SsoDirectoryRefusal, type SsoUserDirectory, type SsoUser } from '../accounts/identity-ports.js';
import { SsoAccountRefusal, SsoAccountsService } from '../accounts/sso-accounts.service.js';
import { SsoLoginFailure } from '../sso.exception.js';
import type { VerifiedIdentity } from '../sso.types.js';

const em = {
  getRepository: () => ({ findOne: async () => null, findOneBy: async () => null, insert: async () => undefined }),
} as unknown as EntityManager;
const identity: VerifiedIdentity = {
  provider: 'oidc',
  issuer: 'https://idp',
  subject: 's',
  email: 'a@b.test',
  emailVerified: true,
  displayName: null,
  groups: [],
};
const rules = { defaultRole: 'viewer', roleMappings: [], linkByEmail: false };

/** A directory whose `create` throws what it is given (as identity's UsersService would, through the adapter). */
function failingDirectory(error: unknown): SsoUserDirectory {
  const fail = async () => {
    throw error;
  };
  const users = {
    findByEmail: async () => null,
    findByIdInTx: async () => null,
    createInTx: fail,
    setRoleInTx: fail,
  } as unknown as UsersService;
  return new IdentityUserDirectory(users);
}

const outcome = async (error: unknown): Promise<unknown> =>
  new SsoAccountsService(failingDirectory(error))
    .resolve(em, '01a00000-0000-7000-8000-000000000000', identity, rules)
    .catch((e: unknown) => e);

describe('SSO maps identity refusals by error code', () => {
  it.each<[IdentityErrorCode, string]>([
    ['user_exists', 'email_conflict'],
    ['last_owner', 'no_role'],
    ['unknown_role', 'no_role'],
    ['role_not_found', 'no_role'],
  ])('%s -> %s', async (code, reason) => {
    const e = await outcome(new IdentityException(code, 'x'));
    expect(e).toBeInstanceOf(SsoLoginFailure);
    expect((e as SsoLoginFailure).reason).toBe(reason);
  });

  it('lets every other error through unchanged, whatever its code looks like', async () => {
    for (const error of [
      new CommonException('conflict', 'serialization'),
      new IdentityException('role_name_taken', 'x'),
      new Error('db down'),
    ]) {
      expect(await outcome(error)).toBe(error);
    }
  });

  it('the adapter turns only mapped identity codes into directory refusals; a known user losing its role is an account refusal', async () => {
    await expect(
      failingDirectory(new IdentityException('last_owner', 'x')).setRole(em, 'o', 'u', 'viewer'),
    ).rejects.toBeInstanceOf(SsoDirectoryRefusal);
    const user: SsoUser = { id: 'u1', email: 'a@b.test', role: 'editor', status: 'active' };
    const directory = Object.assign(failingDirectory(new IdentityException('unknown_role', 'x')), {
      findByEmail: async () => user,
    });
    const e = await new SsoAccountsService(directory)
      .resolve(em, 'o', identity, { ...rules, linkByEmail: true })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SsoAccountRefusal);
    expect(e).toMatchObject({ reason: 'no_role', userId: 'u1' });
  });
});
