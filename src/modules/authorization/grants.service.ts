import { Injectable } from '@nestjs/common';
import type { AppAbility, AppRule } from '../../core/authz/ability.js';
import { buildAbility } from '../../core/authz/ability.js';
import { RequestContextStore, type Principal } from '../../core/context/request-context.js';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { IdentityException, type PermissionSpec } from '../identity/index.js';
import { AbilityFactory, selfOf } from './ability.factory.js';
import { AuthorizationException } from './authorization.exception.js';
import { uncoveredRule } from './coverage.js';
import { DenialRecorder } from './denials.js';
import { permissionsToRules, projectOnly } from './rules.js';
import { parseScope } from './scopes.js';

export interface KeyGrant {
  role: string;
  projectId?: string | null;
  scopes?: string[] | null;
}

const describe = (r: AppRule): string => `${[r.action].flat().join('/')} ${[r.subject].flat().join('/')}`;

/**
 * "Nobody grants more than they hold": every role, key, custom role and project assignment a caller creates is
 * compared with the caller's own ability (see `coverage.ts`), and only an owner grants `owner` or acts on an
 * owner. Refusals are 403 `privilege_escalation`, audited as `authz.denied` after the refused transaction ends.
 */
@Injectable()
export class GrantsService {
  constructor(
    private readonly abilities: AbilityFactory,
    private readonly denials: DenialRecorder,
  ) {}

  /** The caller and their ability (set by the access guard; absent means deny). */
  actor(): { principal: Principal & { orgId: string }; ability: AppAbility } {
    const ctx = RequestContextStore.get();
    if (!ctx?.principal?.orgId || !ctx.ability) throw new Error('No authenticated org principal in context');
    return { principal: ctx.principal as Principal & { orgId: string }, ability: ctx.ability };
  }

  isOwner(p: Principal = this.actor().principal): boolean {
    return p.role === 'owner';
  }

  /** Creating a user with, or changing a user to, an org role. */
  async assertCanGrantOrgRole(role: string): Promise<void> {
    const { principal } = this.actor();
    const grantee: Principal = { type: 'user', id: uuidv7(), orgId: principal.orgId, role };
    this.assertOwnerRule(role);
    this.assertCovered(await this.abilities.rulesFor(grantee, { projectRoles: [], rolesOnly: true }), `role "${role}"`);
  }

  /** Creating (or rotating, which hands out) a key: its role, project limit and scopes, as the key would hold them. */
  async assertCanGrantKey(grant: KeyGrant): Promise<void> {
    const { principal } = this.actor();
    const grantee: Principal = {
      type: 'api_key',
      id: uuidv7(),
      orgId: principal.orgId,
      role: grant.role,
      projectId: grant.projectId ?? null,
      scopes: grant.scopes ?? null,
      createdBy: this.authorityFor(principal),
    };
    this.assertOwnerRule(grant.role);
    this.assertCovered(await this.abilities.rulesFor(grantee, { rolesOnly: true }), `a key with role "${grant.role}"`);
  }

  /** Assigning a role inside one project. */
  async assertCanGrantProjectRole(projectId: string, role: string): Promise<void> {
    const { principal } = this.actor();
    const rules = await this.abilities.roleRules(principal.orgId, role, uuidv7(), `project role ${role}`);
    this.assertCovered(projectOnly(rules, projectId), `role "${role}" in this project`);
  }

  /** Defining or changing a custom role's permissions. */
  assertCanGrantPermissions(perms: PermissionSpec[]): void {
    const { principal } = this.actor();
    this.assertCovered(permissionsToRules(perms, principal.orgId, uuidv7(), 'custom role'), 'these permissions');
  }

  /** Acting on an owner (changing or deactivating an owner user, rotating or revoking an owner-role key). */
  assertCanActOn(targetRole: string, what: string): void {
    if (targetRole === 'owner' && !this.isOwner()) {
      throw new AuthorizationException('privilege_escalation', `Only an owner may change ${what} with the owner role`);
    }
  }

  /** Scopes must be in the vocabulary and each allowed by the role (after the project limit): they only narrow. */
  async assertScopesWithinRole(grant: KeyGrant): Promise<void> {
    if (!grant.scopes) return;
    const { principal } = this.actor();
    const role = buildAbility(
      await this.abilities.rulesFor(
        {
          type: 'api_key',
          id: uuidv7(),
          orgId: principal.orgId,
          role: grant.role,
          projectId: grant.projectId ?? null,
          createdBy: this.authorityFor(principal),
        },
        { rolesOnly: true },
      ),
    );
    const errors = grant.scopes.flatMap((scope, i) => {
      const pair = parseScope(scope);
      if (!pair) return [{ path: `scopes.${i}`, message: `unknown scope "${scope}"` }];
      return role.can(pair.action, pair.subject as never)
        ? []
        : [{ path: `scopes.${i}`, message: `"${scope}" is not granted by role "${grant.role}"` }];
    });
    if (errors.length)
      throw new IdentityException('invalid_scope', "Scopes can only narrow the key's role", { errors });
  }

  /** The user on whose authority a key made by this principal exists: a user itself, or a key's own authority. */
  authorityFor(p: Principal): string | null {
    return p.type === 'api_key' ? (p.createdBy ?? null) : p.id;
  }

  /** Runs a change and audits an escalation refusal outside its (rolled back) transaction. */
  async audited<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AuthorizationException && e.code === 'privilege_escalation') await this.recordDenial(what, e);
      throw e;
    }
  }

  private assertOwnerRule(role: string): void {
    if (role === 'owner' && !this.isOwner())
      throw new AuthorizationException('privilege_escalation', 'Only an owner may grant the owner role');
  }

  private assertCovered(grant: AppRule[], what: string): void {
    const missing = uncoveredRule(this.actor().ability, grant);
    if (missing) {
      throw new AuthorizationException(
        'privilege_escalation',
        `You cannot grant ${what}: it allows ${describe(missing)}, which you do not hold`,
      );
    }
  }

  private async recordDenial(what: string, e: AuthorizationException): Promise<void> {
    const { principal } = this.actor();
    await this.denials.record(
      principal,
      {
        resourceType: what,
        reason: 'privilege_escalation',
        metadata: { detail: e.message, actor: { type: principal.type, id: principal.id, self: selfOf(principal) } },
      },
      e,
    );
  }
}
