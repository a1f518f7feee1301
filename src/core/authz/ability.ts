import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';

/** Lower-case verbs (STYLE B4). `manage` is CASL's wildcard action. */
export const ACTIONS = [
  'manage',
  'read',
  'create',
  'update',
  'delete',
  'publish',
  'run',
  'rotate',
  'export',
  'configure',
] as const;
export type Action = (typeof ACTIONS)[number];

/** PascalCase subjects. `all` is CASL's wildcard subject. */
export const SUBJECTS = [
  'all',
  'Org',
  'Project',
  'ProjectMember',
  'User',
  'Role',
  'ApiKey',
  'Flow',
  'Run',
  'Connection',
  'SecretProvider',
  'AuditEvent',
  'SsoConfig',
  'Plugin',
  'EmbedKey',
] as const;
export type SubjectName = (typeof SUBJECTS)[number];

export type AppAbility = MongoAbility<
  [Action, SubjectName | (Record<string, unknown> & { __caslSubjectType__?: SubjectName })]
>;
export type AppRule = RawRuleOf<AppAbility>;

export const buildAbility = (rules: AppRule[]): AppAbility => createMongoAbility(rules) as AppAbility;
