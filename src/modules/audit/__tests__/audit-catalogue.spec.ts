import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_CATALOGUE } from '../audit.catalogue.js';
import { ACTION_RE } from '../audit-entry.js';

describe('audit catalogue', () => {
  it('covers the actions the issue and API.md require, in noun.verb form, once each', () => {
    const actions = AUDIT_CATALOGUE.map((e) => e.action);
    expect(new Set(actions).size).toBe(actions.length);
    for (const a of actions) expect(a).toMatch(ACTION_RE);
    expect(actions).toEqual(
      expect.arrayContaining([
        'auth.login',
        'auth.logout',
        'api_key.created',
        'api_key.rotated',
        'api_key.revoked',
        'api_key.auth_failed',
        'user.created',
        'user.updated',
        'user.deactivated',
        'role.created',
        'role.updated',
        'role.deleted',
        'project.created',
        'project.updated',
        'project.deleted',
        'project_member.set',
        'project_member.removed',
        'sso.updated',
        'sso.deleted',
        'flow.created',
        'flow.updated',
        'flow.draft_saved',
        'flow.published',
        'flow.rolled_back',
        'flow.enabled',
        'flow.disabled',
        'flow.deleted',
        'run.started',
        'run.cancelled',
        'connection.created',
        'connection.updated',
        'connection.deleted',
        'secret_provider.updated',
        'secret_provider.deleted',
        'plugin.configured',
        'embed_key.created',
        'embed_key.deleted',
        'embed.session_opened',
        'embed.token_refused',
        'org.created',
        'org.updated',
        'authz.denied',
      ]),
    );
  });

  it('is the table in docs/audit.md, row for row', () => {
    const doc = readFileSync(new URL('../../../../docs/audit.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z_.]+)` \| ([a-z_]+) \| ([a-z, ]+) \| .+ \|$/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(rows).toEqual(AUDIT_CATALOGUE.map((e) => [e.action, e.resourceType, e.outcomes.join(', ')]));
  });
});
