import { Injectable } from '@nestjs/common';
import { subject as asSubject } from '@casl/ability';
import type { Action, AppAbility, SubjectName } from '../../core/authz/ability.js';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { ApiKeyEntity, CustomRoleEntity, IdentityException, UsersService, isBuiltInRole } from '../identity/index.js';
import { ProjectEntity } from '../tenancy/index.js';
import { AbilityFactory } from './ability.factory.js';
import type { AuthzCheckDto, AuthzCheckResponseDto } from './auth.dto.js';
import { GrantsService } from './grants.service.js';

/** Loads the fields a rule may test for one resource of a subject in the org; null when absent. */
export type SubjectResolver = (orgId: string, id: string) => Promise<Record<string, unknown> | null>;

/**
 * `POST /api/v1/authz/check`. Answers for the caller, or (for admins: whoever may update users) for another user
 * of the org, for a subject type or one resource. Resources are loaded by resolvers: identity and tenancy
 * subjects here; modules above this one register theirs with {@link registerResolver} (flows registers `Flow`,
 * see FlowAuthzResolver). A subject without a resolver can only be asked about as a type.
 */
@Injectable()
export class AuthzCheckService {
  private readonly resolvers = new Map<SubjectName, SubjectResolver>();

  constructor(
    private readonly db: Database,
    private readonly users: UsersService,
    private readonly abilities: AbilityFactory,
    private readonly grants: GrantsService,
  ) {
    const byId =
      <T extends { orgId: string; id: string }>(
        entity: new () => T,
        pick: (row: T) => Record<string, unknown>,
      ): SubjectResolver =>
      (orgId, id) =>
        UUID_RE.test(id)
          ? this.db.withOrg(orgId, async (em) => {
              const row = await em.getRepository(entity).findOneBy({ orgId, id } as never);
              return row ? pick(row) : null;
            })
          : Promise.resolve(null);
    this.registerResolver(
      'Project',
      byId(ProjectEntity, (p) => ({ orgId: p.orgId, id: p.id })),
    );
    this.registerResolver(
      'ApiKey',
      byId(ApiKeyEntity, (k) => ({ orgId: k.orgId, id: k.id, ownerUserId: k.ownerUserId, projectId: k.projectId })),
    );
    this.registerResolver('Role', (orgId, id) =>
      isBuiltInRole(id)
        ? Promise.resolve({ orgId, id })
        : byId(CustomRoleEntity, (r) => ({ orgId: r.orgId, id: r.id }))(orgId, id),
    );
    this.registerResolver('User', async (orgId, id) => {
      const u = await this.db.withOrg(orgId, (em) => this.users.findByIdInTx(em, orgId, id));
      return u ? { orgId: u.orgId, id: u.id } : null;
    });
  }

  registerResolver(subject: SubjectName, resolver: SubjectResolver): void {
    this.resolvers.set(subject, resolver);
  }

  async check(dto: AuthzCheckDto): Promise<AuthzCheckResponseDto> {
    const { principal, ability: own } = this.grants.actor();
    const subject = dto.subject as SubjectName;
    const action = dto.action as Action;
    let ability = own;
    if (dto.userId && !(principal.type !== 'api_key' && dto.userId === principal.id)) {
      const target = await this.users.get(principal.orgId, dto.userId).catch(() => null);
      // Asking about others is for admins; to anyone else another user is simply not there.
      if (!target || !own.can('update', 'User')) throw new IdentityException('user_not_found', 'User not found');
      if (target.status !== 'active') return { allowed: false, reason: 'The user is deactivated: no permissions' };
      ability = await this.abilities.createForPrincipal({
        type: 'user',
        id: target.id,
        orgId: target.orgId,
        role: target.role,
        email: target.email,
      });
    }
    if (dto.subjectId === undefined) return this.explainType(ability, action, subject);
    const resolver = this.resolvers.get(subject);
    if (!resolver)
      return { allowed: false, reason: `Cannot look up a single ${subject}; ask about the type (omit subjectId)` };
    const fields = await resolver(principal.orgId, dto.subjectId);
    if (!fields) return { allowed: false, reason: `No ${subject} with that id in this organization` };
    const obj = asSubject(subject, { ...fields });
    const rule = ability.relevantRuleFor(action, obj as never);
    if (rule && !rule.inverted)
      return { allowed: true, reason: `Allowed by ${rule.reason ?? 'a rule'}: ${action} ${subject}` };
    return { allowed: false, reason: `No permission grants ${action} on this ${subject}` };
  }

  private explainType(ability: AppAbility, action: Action, subject: SubjectName): AuthzCheckResponseDto {
    const rules = ability.rulesFor(action, subject as never).filter((r) => !r.inverted);
    if (!rules.length) return { allowed: false, reason: `No permission grants ${action} on ${subject}` };
    const unconditional = rules.find((r) =>
      Object.keys((r.conditions as Record<string, unknown>) ?? {}).every((k) => k === 'orgId'),
    );
    if (unconditional)
      return {
        allowed: true,
        reason: `Allowed by ${unconditional.reason ?? 'a rule'}: ${action} any ${subject} in the organization`,
      };
    const limits = rules.map((r) => {
      const { orgId: _o, ...c } = (r.conditions as Record<string, unknown>) ?? {};
      return `${JSON.stringify(c)} (${r.reason ?? 'rule'})`;
    });
    return { allowed: true, reason: `Allowed only where ${limits.join(' or ')}` };
  }
}
