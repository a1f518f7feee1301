import type { AuditOutcome } from '../../core/events/domain-events.js';

export interface CatalogueEntry {
  action: string;
  resourceType: string;
  outcomes: AuditOutcome[];
  /** Who emits it and when. Mirrored in docs/audit.md (a unit test keeps the two in step). */
  description: string;
}

const ok: AuditOutcome[] = ['success'];

/**
 * Every audited action. Services publish these through `DomainEventBus.publish` inside the transaction of the
 * change; new actions follow the `noun.verb` form and are added here and to docs/audit.md. An action missing
 * from the catalogue is still recorded (never lose an entry) but logged as a warning.
 */
export const AUDIT_CATALOGUE: readonly CatalogueEntry[] = [
  {
    action: 'auth.login',
    resourceType: 'user',
    outcomes: ['success', 'failure'],
    description: 'SSO or embed sign-in completed or refused (reason code on failure).',
  },
  { action: 'auth.logout', resourceType: 'session', outcomes: ok, description: 'A session was ended by its user.' },
  {
    action: 'api_key.created',
    resourceType: 'api_key',
    outcomes: ok,
    description:
      'An API key was created (including an org owner key); metadata has name, role, scopes and display prefix, never the key.',
  },
  {
    action: 'api_key.updated',
    resourceType: 'api_key',
    outcomes: ok,
    description: 'An API key was renamed; name before and after.',
  },
  {
    action: 'api_key.rotated',
    resourceType: 'api_key',
    outcomes: ok,
    description: 'An API key secret was rotated (grace period in metadata).',
  },
  { action: 'api_key.revoked', resourceType: 'api_key', outcomes: ok, description: 'An API key was revoked.' },
  {
    action: 'api_key.auth_failed',
    resourceType: 'api_key',
    outcomes: ['failure'],
    description: 'A request presented a key of this org that failed (bad secret, revoked, expired, suspended org).',
  },
  {
    action: 'user.created',
    resourceType: 'user',
    outcomes: ok,
    description: 'A user was invited or provisioned (SSO just-in-time, embed).',
  },
  {
    action: 'user.updated',
    resourceType: 'user',
    outcomes: ok,
    description: 'A user changed (role, display name); before and after.',
  },
  {
    action: 'user.deactivated',
    resourceType: 'user',
    outcomes: ok,
    description: 'A user was deactivated; their sessions and keys were revoked.',
  },
  { action: 'role.created', resourceType: 'role', outcomes: ok, description: 'A custom role was created.' },
  {
    action: 'role.updated',
    resourceType: 'role',
    outcomes: ok,
    description: 'A custom role changed; permissions before and after.',
  },
  { action: 'role.deleted', resourceType: 'role', outcomes: ok, description: 'A custom role was deleted.' },
  { action: 'project.created', resourceType: 'project', outcomes: ok, description: 'A project was created.' },
  {
    action: 'project.updated',
    resourceType: 'project',
    outcomes: ok,
    description: 'A project changed; before and after.',
  },
  { action: 'project.deleted', resourceType: 'project', outcomes: ok, description: 'A project was deleted.' },
  {
    action: 'project_member.set',
    resourceType: 'project_member',
    outcomes: ok,
    description: "A user's role in a project was set.",
  },
  {
    action: 'project_member.removed',
    resourceType: 'project_member',
    outcomes: ok,
    description: 'A user was removed from a project.',
  },
  {
    action: 'sso.updated',
    resourceType: 'sso_config',
    outcomes: ok,
    description: 'SAML or OIDC configuration saved; before and after, client secret masked.',
  },
  {
    action: 'sso.deleted',
    resourceType: 'sso_config',
    outcomes: ok,
    description: 'SAML or OIDC configuration removed.',
  },
  {
    action: 'secret_provider.updated',
    resourceType: 'secret_provider',
    outcomes: ok,
    description: 'A secret provider was configured; credentials masked.',
  },
  {
    action: 'secret_provider.deleted',
    resourceType: 'secret_provider',
    outcomes: ok,
    description: 'A secret provider was removed.',
  },
  { action: 'flow.created', resourceType: 'flow', outcomes: ok, description: 'A flow was created.' },
  { action: 'flow.updated', resourceType: 'flow', outcomes: ok, description: "A flow's name or description changed." },
  { action: 'flow.draft_saved', resourceType: 'flow', outcomes: ok, description: 'A flow draft was saved.' },
  {
    action: 'flow.published',
    resourceType: 'flow',
    outcomes: ok,
    description: 'A flow version was published (version number in metadata).',
  },
  {
    action: 'flow.rolled_back',
    resourceType: 'flow',
    outcomes: ok,
    description: 'A flow was rolled back (from and to versions in metadata).',
  },
  { action: 'flow.enabled', resourceType: 'flow', outcomes: ok, description: 'A flow was enabled.' },
  { action: 'flow.disabled', resourceType: 'flow', outcomes: ok, description: 'A flow was disabled.' },
  { action: 'flow.deleted', resourceType: 'flow', outcomes: ok, description: 'A flow was deleted.' },
  {
    action: 'flow.shared',
    resourceType: 'flow',
    outcomes: ok,
    description:
      "A flow was shared with a user, or the share's role changed (user, role and previous role in metadata).",
  },
  {
    action: 'flow.unshared',
    resourceType: 'flow',
    outcomes: ok,
    description: 'A flow share was removed (user and role in metadata).',
  },
  {
    action: 'run.started',
    resourceType: 'run',
    outcomes: ok,
    description:
      'A run was started manually through the API (webhook and schedule runs are run records, not audit entries).',
  },
  { action: 'run.cancelled', resourceType: 'run', outcomes: ok, description: 'A run was cancelled.' },
  {
    action: 'connection.created',
    resourceType: 'connection',
    outcomes: ok,
    description: 'A connection was created; secret fields masked.',
  },
  {
    action: 'connection.updated',
    resourceType: 'connection',
    outcomes: ok,
    description: 'A connection changed; before and after, secret fields masked.',
  },
  { action: 'connection.deleted', resourceType: 'connection', outcomes: ok, description: 'A connection was deleted.' },
  {
    action: 'plugin.configured',
    resourceType: 'plugin',
    outcomes: ok,
    description: "A plugin's per-org enable flag or settings changed.",
  },
  {
    action: 'plugin.hook_failed',
    resourceType: 'plugin',
    outcomes: ['failure'],
    description:
      'A plugin hook threw, blew its time budget or answered outside its contract (hook in metadata; reason plugin_error or plugin_timeout).',
  },
  {
    action: 'embed_key.created',
    resourceType: 'embed_key',
    outcomes: ok,
    description: 'An embed signing key was registered (kid, alg).',
  },
  {
    action: 'embed_key.deleted',
    resourceType: 'embed_key',
    outcomes: ok,
    description: 'An embed signing key was removed.',
  },
  {
    action: 'embed.session_opened',
    resourceType: 'embed_session',
    outcomes: ok,
    description: 'An embed token was exchanged for a session.',
  },
  {
    action: 'embed.token_refused',
    resourceType: 'embed_session',
    outcomes: ['failure'],
    description: 'An embed token was refused (reason code).',
  },
  {
    action: 'embed_settings.updated',
    resourceType: 'embed_settings',
    outcomes: ok,
    description: 'The origins allowed to call the API with embedded sessions changed; before and after.',
  },
  {
    action: 'org.created',
    resourceType: 'org',
    outcomes: ok,
    description: 'An organization was created (platform operator or first start).',
  },
  {
    action: 'org.updated',
    resourceType: 'org',
    outcomes: ok,
    description: 'An organization changed (name; status by the platform operator); before and after.',
  },
  {
    action: 'egress.refused',
    resourceType: 'egress',
    outcomes: ['denied'],
    description:
      'An outbound request was refused by the egress guard (SSRF): source (`flow_run` with run, flow and node, or `oidc`), reason and the refused address class, never the address.',
  },
  {
    action: 'authz.denied',
    resourceType: 'route',
    outcomes: ['denied'],
    description:
      'A request was refused with 403 (method, route and required permission in metadata; resource type is the subject).',
  },
  {
    action: 'audit_settings.updated',
    resourceType: 'audit_settings',
    outcomes: ok,
    description: 'The audit retention period changed; before and after.',
  },
  {
    action: 'audit.purged',
    resourceType: 'audit_chain',
    outcomes: ok,
    description: 'Retention removed old entries; this checkpoint carries the last removed seq and hash.',
  },
];

export const AUDIT_ACTIONS: ReadonlySet<string> = new Set(AUDIT_CATALOGUE.map((e) => e.action));
