import { ConnectionEntity } from './modules/connections/index.js';
import { RunEntity, StepRunEntity } from './modules/execution/index.js';
import { FlowEntity, FlowShareEntity, FlowVersionEntity } from './modules/flows/index.js';
import {
  ApiKeyEntity,
  CustomRoleEntity,
  PlatformKeyEntity,
  ProjectMemberEntity,
  SessionEntity,
  UserEntity,
} from './modules/identity/index.js';
import { SsoConfigEntity, SsoIdentityEntity } from './modules/identity/sso/index.js';
import { SecretProviderEntity } from './modules/secrets/index.js';
import { OrganizationEntity, ProjectEntity } from './modules/tenancy/index.js';

/** Every TypeORM entity, passed as classes so dist, Vitest and the CLI share one list. */
export const ENTITIES = [
  OrganizationEntity,
  ProjectEntity,
  UserEntity,
  ApiKeyEntity,
  PlatformKeyEntity,
  SessionEntity,
  CustomRoleEntity,
  ProjectMemberEntity,
  FlowEntity,
  FlowVersionEntity,
  FlowShareEntity,
  SsoConfigEntity,
  SsoIdentityEntity,
  RunEntity,
  StepRunEntity,
  ConnectionEntity,
  SecretProviderEntity,
];
