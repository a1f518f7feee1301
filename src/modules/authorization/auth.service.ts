import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppRule } from '../../core/authz/ability.js';
import { AppConfig } from '../../core/config/app-config.js';
import { RequestContextStore } from '../../core/context/request-context.js';
import { currentAbility } from '../../core/http/policies.js';
import {
  ProjectMembersService,
  SESSION_COOKIE,
  SessionsService,
  clearedSessionCookieOptions,
} from '../identity/index.js';
import { OrgsService } from '../tenancy/index.js';
import { SESSION_TOKEN } from './access.guard.js';
import type { EffectivePermissionDto, MeResponseDto } from './auth.dto.js';
import { AuthorizationException } from './authorization.exception.js';

/** `GET /api/v1/auth/me` and `POST /api/v1/auth/logout`. */
@Injectable()
export class AuthService {
  constructor(
    private readonly orgs: OrgsService,
    private readonly members: ProjectMembersService,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  async me(): Promise<MeResponseDto> {
    const p = RequestContextStore.get()!.principal!;
    const orgId = RequestContextStore.requireOrgId();
    const org = await this.orgs.get(orgId);
    const projectRoles =
      p.type === 'api_key' || p.type === 'embed'
        ? p.projectId
          ? [{ projectId: p.projectId, role: p.role ?? '' }]
          : []
        : await this.members.forUser(orgId, p.id);
    const out: MeResponseDto = {
      principal: {
        type: p.type,
        id: p.id,
        ...(p.email ? { email: p.email } : {}),
        ...(p.displayName ? { displayName: p.displayName } : {}),
      },
      org: { id: org.id, slug: org.slug, name: org.name },
      role: p.role ?? '',
      projectRoles,
      permissions: currentAbility().rules.map(toPermission),
    };
    if (p.csrfToken) out.csrfToken = p.csrfToken;
    return out;
  }

  /** Ends the cookie session (server-side record revoked, cookie cleared). Keys have no session to end. */
  async logout(req: Request, res: Response): Promise<void> {
    const token = (req as unknown as Record<symbol, string | undefined>)[SESSION_TOKEN];
    if (!token)
      throw new AuthorizationException('no_session', 'Only a browser session can log out; revoke an API key instead');
    await this.sessions.revokeByToken(RequestContextStore.requireOrgId(), token);
    if (!token.startsWith('tfe_')) res.clearCookie(SESSION_COOKIE, clearedSessionCookieOptions(this.config));
  }
}

export function toPermission(r: AppRule): EffectivePermissionDto {
  const { orgId: _org, ...conditions } = (r.conditions as Record<string, unknown> | undefined) ?? {};
  return {
    action: r.action as string | string[],
    subject: r.subject as string,
    ...(Object.keys(conditions).length ? { conditions } : {}),
    ...(r.reason ? { source: r.reason } : {}),
  };
}
