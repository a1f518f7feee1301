import { Injectable } from '@nestjs/common';
import { RequestContextStore } from '../../core/context/request-context.js';
import type { Page, PageQueryDto } from '../../core/http/pagination.js';
import { accessibleWhere, canOn } from '../../core/http/policies.js';
import {
  IdentityException,
  UsersService,
  type CreateUserDto,
  type UpdateUserDto,
  type UserEntity,
  type UserResponseDto,
} from '../identity/index.js';
import { GrantsService } from './grants.service.js';

const notFound = () => new IdentityException('user_not_found', 'User not found');
const fields = (u: UserEntity) => ({ orgId: u.orgId, id: u.id });

/** The users API: identity's users with the caller's ability and the escalation rules applied. */
@Injectable()
export class UsersAdminService {
  constructor(
    private readonly users: UsersService,
    private readonly grants: GrantsService,
  ) {}

  list(q: PageQueryDto): Promise<Page<UserResponseDto>> {
    return this.users.list(RequestContextStore.requireOrgId(), q, accessibleWhere('read', 'User'));
  }

  async get(id: string): Promise<UserResponseDto> {
    const user = await this.users.get(RequestContextStore.requireOrgId(), id);
    if (!canOn('read', 'User', fields(user))) throw notFound();
    return this.users.map(user);
  }

  async create(dto: CreateUserDto): Promise<UserResponseDto> {
    const orgId = RequestContextStore.requireOrgId();
    const user = await this.grants.audited('user', () =>
      this.users.create({ orgId, email: dto.email, role: dto.role, displayName: dto.displayName }, (role) =>
        this.grants.assertCanGrantOrgRole(role),
      ),
    );
    return this.users.map(user);
  }

  async update(id: string, dto: UpdateUserDto): Promise<UserResponseDto> {
    const orgId = RequestContextStore.requireOrgId();
    const user = await this.grants.audited('user', () =>
      this.users.update(orgId, id, dto, async (current) => {
        if (!canOn('update', 'User', fields(current))) throw notFound();
        this.grants.assertCanActOn(current.role, 'a user');
        if (dto.role !== undefined && dto.role !== current.role) await this.grants.assertCanGrantOrgRole(dto.role);
      }),
    );
    return this.users.map(user);
  }

  deactivate(id: string): Promise<void> {
    const orgId = RequestContextStore.requireOrgId();
    return this.grants.audited('user', () =>
      this.users.deactivate(orgId, id, (current) => {
        if (!canOn('delete', 'User', fields(current))) throw notFound();
        this.grants.assertCanActOn(current.role, 'a user');
      }),
    );
  }
}
