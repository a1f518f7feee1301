import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/core/database/database.js';
import { RequestContextStore } from '../../src/core/context/request-context.js';
import { DomainEventBus, type DomainEvent } from '../../src/core/events/domain-events.js';
import { ApiKeysService, SESSION_COOKIE } from '../../src/modules/identity/index.js';
import { auditClients } from '../utils/audit-db.js';
import { exampleDefinition } from '../utils/flow-helpers.js';
import { publishedFlow } from '../utils/run-helpers.js';
import { expectNoSecretIn } from '../utils/secret-encodings.js';
import { createUser, openSession } from '../utils/sessions.js';
import { bearer, createTestApp, uniqueSlug, type TestApp, type TestOrg } from '../utils/test-app.js';

const canary = (label: string) => `CANARY${label}${randomBytes(12).toString('hex')}`;
/** The 43-character secret part of `tfk_<public id>_<secret>` (which may itself contain `_`). */
const secretOf = (key: string) => key.slice(21);
const body = (r: { body: unknown; text?: string }) => (typeof r.body === 'string' ? r.body : (r.text ?? ''));

/**
 * Must show 5: plants secret values the way each module handles them (API keys for real; connection fields, SSO
 * client secrets, secret-provider credentials and resolved secrets through the events those modules publish) and
 * searches every column of the whole audit table and both export formats for them.
 */
describe('no secret value reaches an audit entry or an export', () => {
  let t: TestApp;
  let org: TestOrg;
  let owner: pg.Client;
  let close: () => Promise<void>;
  const secrets: string[] = [];

  const publish = (event: Omit<DomainEvent, 'orgId'>) =>
    RequestContextStore.run({ requestId: 'canary', ip: '127.0.0.1', userAgent: 'canary-test' }, () =>
      t.server.app
        .get(Database)
        .withOrg(org.id, (em) => t.server.app.get(DomainEventBus).publish(em, { ...event, orgId: org.id })),
    );

  beforeAll(async () => {
    t = await createTestApp();
    ({ owner, close } = await auditClients());
    // API keys: an org's owner key over the platform route, and a key created in a service transaction.
    const slug = uniqueSlug('canary');
    const created = await t
      .http()
      .post('/api/v1/platform/orgs')
      .set(bearer(t.platformKey))
      .send({ name: slug, slug })
      .expect(201);
    org = { id: created.body.org.id, slug, ownerKey: created.body.ownerApiKey.key };
    const extra = await t.server.app
      .get(Database)
      .withOrg(org.id, (em) =>
        t.server.app
          .get(ApiKeysService)
          .insert(em, { orgId: org.id, name: 'ci', role: 'viewer', createdByType: 'system' }),
      );
    secrets.push(org.ownerKey, secretOf(org.ownerKey), extra.key, secretOf(extra.key), secretOf(t.platformKey));
    expect(secrets.slice(1).every((k) => k.length === 43 || k.startsWith('tfk_'))).toBe(true);

    // Failed authentication with a planted secret for a real key of the org.
    const badSecret = canary('AUTH').padEnd(43, 'x').slice(0, 43);
    secrets.push(badSecret);
    await t
      .http()
      .get('/api/v1/projects')
      .set(bearer(`tfk_${org.ownerKey.split('_')[1]}_${badSecret}`))
      .expect(401);
    // A refused request carrying a secret in its body and query.
    const inBody = canary('BODY');
    secrets.push(inBody);
    await t.http().post(`/api/v1/projects?token=${inBody}`).set(bearer(extra.key)).send({ name: inBody }).expect(403);

    // Session cookies and CSRF tokens: a session that works, a wrong CSRF token (a denial), a forged cookie, logout.
    const session = await openSession(t, org.id, await createUser(t, org.id, 'viewer'));
    secrets.push(session.token, secretOf(session.token), session.csrfToken);
    await t.http().get('/api/v1/auth/me').set(session.cookie).expect(200);
    const wrongCsrf = canary('CSRF');
    secrets.push(wrongCsrf);
    await t
      .http()
      .post('/api/v1/projects')
      .set({ ...session.cookie, 'X-CSRF-Token': wrongCsrf })
      .send({ name: 'x' })
      .expect(403);
    const forged = canary('SESSION').padEnd(43, 'x').slice(0, 43);
    secrets.push(forged);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set('Cookie', `${SESSION_COOKIE}=tfs_${session.token.split('_')[1]}_${forged}`)
      .expect(401);
    await t.http().post('/api/v1/auth/logout').set(session.headers).expect(204);
    // The platform key on an org route (a denial in the platform chain) and a wrong platform key.
    await t.http().get('/api/v1/projects').set(bearer(t.platformKey)).expect(403);
    const wrongPlatform = canary('PLATFORM').padEnd(43, 'x').slice(0, 43);
    secrets.push(wrongPlatform);
    await t
      .http()
      .get('/api/v1/platform/orgs')
      .set(bearer(`tfp_${t.platformKey.split('_')[1]}_${wrongPlatform}`))
      .expect(401);
    // Webhooks with header and Basic secrets: flows saved and published (audited), runs that pass, wrong secrets.
    const hook = (auth: Record<string, unknown>) =>
      publishedFlow(t, org.ownerKey, {
        ...exampleDefinition(),
        trigger: { type: 'webhook', settings: { auth, respond: 'wait' } },
      });
    const [hookHeader, hookHeaderWrong, hookPassword, hookPasswordWrong] = [
      canary('HOOKH'),
      canary('HOOKHW'),
      canary('HOOKB'),
      canary('HOOKBW'),
    ];
    const basic = (password: string) => `Basic ${Buffer.from(`u:${password}`).toString('base64')}`;
    secrets.push(
      hookHeader,
      hookHeaderWrong,
      hookPassword,
      hookPasswordWrong,
      basic(hookPassword).slice(6),
      basic(hookPasswordWrong).slice(6),
    );
    const headerFlow = await hook({ mode: 'header', name: 'X-Hook-Token', value: hookHeader });
    await t.http().post(`/hooks/${headerFlow}`).set('X-Hook-Token', hookHeader).send({ a: 1, b: 2 }).expect(200);
    await t.http().post(`/hooks/${headerFlow}`).set('X-Hook-Token', hookHeaderWrong).send({ a: 1, b: 2 }).expect(401);
    const basicFlow = await hook({ mode: 'basic', username: 'u', password: hookPassword });
    await t
      .http()
      .post(`/hooks/${basicFlow}`)
      .set('Authorization', basic(hookPassword))
      .send({ a: 1, b: 2 })
      .expect(200);
    await t
      .http()
      .post(`/hooks/${basicFlow}`)
      .set('Authorization', basic(hookPasswordWrong))
      .send({ a: 1, b: 2 })
      .expect(401);

    // Connections: secret fields under their own names, the whole data object, and before/after.
    const conn = [canary('CONNA'), canary('CONNB'), canary('CONNC'), canary('CONND')];
    secrets.push(...conn);
    await publish({
      action: 'connection.created',
      resourceType: 'connection',
      resourceId: 'c1',
      metadata: {
        name: 'stripe',
        type: 'http',
        data: { apiKey: conn[0], host: 'api.stripe.com' },
        fields: { password: conn[1], secretAccessKey: conn[2] },
      },
    });
    await publish({
      action: 'connection.updated',
      resourceType: 'connection',
      resourceId: 'c1',
      metadata: {
        before: { data: { api_key: conn[0] } },
        after: { data: { api_key: conn[3] } },
        connectionUrl: `postgres://app:${conn[3]}@db.internal/x`,
      },
    });
    // SSO: the OIDC client secret in a configuration diff.
    const sso = [canary('SSOA'), canary('SSOB')];
    secrets.push(...sso);
    await publish({
      action: 'sso.updated',
      resourceType: 'sso_config',
      resourceId: 'oidc',
      metadata: {
        before: { clientId: 'app', clientSecret: sso[0] },
        after: { clientId: 'app', clientSecret: sso[1], tokenEndpoint: 'https://idp/token' },
      },
      sensitiveValues: [sso[1]],
    });
    // Secret providers: write-only credentials.
    const vault = canary('VAULT');
    secrets.push(vault);
    await publish({
      action: 'secret_provider.updated',
      resourceType: 'secret_provider',
      resourceId: 'vault',
      metadata: {
        after: { type: 'vault', config: { address: 'https://vault' }, auth: { method: 'token', token: vault } },
      },
    });
    // Resolved secrets: under secret-ish names, inside free text, as a bearer token or JWT, and a value the
    // publisher names as sensitive wherever it lands.
    const resolved = [canary('RESA'), canary('RESB'), canary('RESC'), canary('RESD')];
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIke${resolved[2]}.c2lnbmF0dXJlc2lnbmF0dXJl`;
    secrets.push(...resolved, jwt);
    await publish({
      action: 'run.started',
      resourceType: 'run',
      resourceId: 'r1',
      reason: `Bearer ${resolved[1]}`,
      metadata: {
        input: {
          value: resolved[0],
          note: `Authorization: Bearer ${resolved[1]}`,
          claims: jwt,
          summary: `resolved ${resolved[3]} ok`,
        },
      },
      sensitiveValues: [resolved[3]],
    });
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('planted the events it searches (they were recorded, masked)', async () => {
    const { rows } = await owner.query(`SELECT action, metadata FROM audit_event WHERE org_id = $1 ORDER BY seq`, [
      org.id,
    ]);
    expect(rows.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'org.created',
        'api_key.created',
        'api_key.auth_failed',
        'authz.denied',
        'connection.created',
        'connection.updated',
        'sso.updated',
        'secret_provider.updated',
        'run.started',
      ]),
    );
    const sso = rows.find((r) => r.action === 'sso.updated')!.metadata;
    expect(sso).toEqual({
      before: { clientId: 'app', clientSecret: '[REDACTED]' },
      after: { clientId: 'app', clientSecret: '[REDACTED]', tokenEndpoint: 'https://idp/token' },
    });
  });

  it('finds no canary in any column of any entry', async () => {
    const { rows } = await owner.query<{ t: string }>(`SELECT e::text AS t FROM audit_event e`);
    const table = rows.map((r) => r.t).join('\n');
    expect(table.length).toBeGreaterThan(1000);
    expect(table).not.toMatch(/CANARY/);
    expectNoSecretIn(
      table,
      Object.fromEntries(secrets.map((s, i) => [`secret #${i} (${s.slice(0, 10)}…)`, s])),
      'audit_event',
    );
  });

  it('finds no canary in the NDJSON and CSV exports', async () => {
    for (const format of ['ndjson', 'csv']) {
      const res = await t
        .http()
        .get(`/api/v1/audit-events/export?format=${format}`)
        .set(bearer(org.ownerKey))
        .buffer(true)
        .parse((r, cb) => {
          let s = '';
          r.on('data', (c: Buffer) => (s += c));
          r.on('end', () => cb(null, s));
        })
        .expect(200);
      const text = body(res);
      expect(text).toContain('connection.updated');
      expect(text).not.toMatch(/CANARY/);
      expectNoSecretIn(
        text,
        Object.fromEntries(secrets.map((s, i) => [`secret #${i} (${s.slice(0, 10)}…)`, s])),
        `the ${format} export`,
      );
    }
  });
});
