import type { DomainEvent } from '../../../src/core/events/domain-events.js';
import { ApiKeysService } from '../../../src/modules/identity/index.js';
import { bearer, type TestApp, type TestOrg } from '../test-app.js';

/** A 32-byte key for the SSO secret box, so tests never write a key file into the data directory. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** Collects every domain event the app publishes (the audit module is not part of these tests). */
export function captureEvents(t: TestApp): DomainEvent[] {
  const seen: DomainEvent[] = [];
  t.server.deps.events.subscribe(async (_em, e) => {
    seen.push(e);
  });
  return seen;
}

/** An API key of the org with the given built-in role. */
export async function keyWithRole(t: TestApp, org: TestOrg, role: string): Promise<string> {
  const keys = t.server.app.get(ApiKeysService);
  const { key } = await t.server.deps.db.withOrg(org.id, (em) =>
    keys.insert(em, { orgId: org.id, name: `${role} key`, role, createdByType: 'system' }),
  );
  return key;
}

export const urlsFor = (t: TestApp, slug: string) => {
  const root = `${t.url}/auth/${slug}`;
  return {
    entityId: `${root}/saml/metadata`,
    acs: `${root}/saml/acs`,
    samlLogin: `${root}/saml/login`,
    oidcLogin: `${root}/oidc/login`,
    oidcCallback: `${root}/oidc/callback`,
  };
};

export async function putSaml(t: TestApp, org: TestOrg, body: Record<string, unknown>): Promise<void> {
  const res = await t.http().put('/api/v1/sso/saml').set(bearer(org.ownerKey)).send(body);
  if (res.status !== 200) throw new Error(`PUT saml ${res.status}: ${JSON.stringify(res.body)}`);
}

/**
 * Lets the org's outbound calls reach loopback (the test IdPs listen there): only the platform operator sets the
 * egress allowlist, which every OIDC, JWKS, token and GitHub API call goes through. `[]` takes it away again.
 */
export async function setEgressAllowlist(t: TestApp, org: TestOrg, allowlist: string[] = LOOPBACK): Promise<void> {
  const res = await t
    .http()
    .patch(`/api/v1/platform/orgs/${org.id}`)
    .set(bearer(t.platformKey))
    .send({ settings: { egressAllowlist: allowlist } });
  if (res.status !== 200) throw new Error(`PATCH platform org settings ${res.status}: ${JSON.stringify(res.body)}`);
}
export const LOOPBACK = ['127.0.0.0/8', '::1'];

/** PUT the OIDC configuration, with loopback allowlisted first (test IdPs run there). */
export async function putOidc(t: TestApp, org: TestOrg, body: Record<string, unknown>): Promise<void> {
  await setEgressAllowlist(t, org);
  const res = await t.http().put('/api/v1/sso/oidc').set(bearer(org.ownerKey)).send(body);
  if (res.status !== 200) throw new Error(`PUT oidc ${res.status}: ${JSON.stringify(res.body)}`);
}
