import { randomBytes } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookFlow, listRuns, finishedRun, publishedFlow } from '../utils/run-helpers.js';
import { allowLoopback, ENV_PREFIX, secretsTestApp } from '../utils/secrets-app.js';
import { userSession, type TestSession } from '../utils/sessions.js';
import { bearer, type TestApp, type TestOrg } from '../utils/test-app.js';
import { auditClients } from '../utils/audit-db.js';
import { VaultDouble } from '../utils/doubles/vault-double.js';

/**
 * Secret-provider routes through the running server: validation, write-only credentials (a walk of every route with
 * every role finds none), org isolation by name in references and test calls (Must show 4 and 5 for providers), the
 * env provider's operator prefix, and audit entries without secrets.
 */
describe('secret providers API', () => {
  let t: TestApp & { logs(): string };
  let a: TestOrg;
  let b: TestOrg;
  const vault = new VaultDouble();
  const canaryToken = `hvs.CANARY${randomBytes(12).toString('hex')}`;
  const canarySecretId = `CANARYSID${randomBytes(12).toString('hex')}`;
  const canaryAws = `CANARYAWS${randomBytes(12).toString('hex')}`;
  const envValue = `CANARYENV${randomBytes(12).toString('hex')}`;
  const canaries = [canaryToken, canarySecretId, canaryAws];

  const vaultBody = () => ({
    type: 'vault',
    config: { address: vault.url, mount: 'secret', kvVersion: 2 },
    auth: { method: 'token', token: canaryToken },
  });

  beforeAll(async () => {
    await vault.start();
    vault.mount('secret', 2);
    vault.put('secret', 'stripe', { api_key: 'sk_api_test_value' });
    vault.addToken({ id: canaryToken });
    t = await secretsTestApp({ [`${ENV_PREFIX}HOOK`]: envValue, DATABASE_URL_LOOKALIKE: 'not-for-orgs' });
    a = await t.createOrg();
    b = await t.createOrg();
    await allowLoopback(t, a.id);
    await allowLoopback(t, b.id);
  });
  afterAll(async () => {
    await t.close();
    await vault.stop();
  });

  it('creates, lists, replaces and deletes a provider; credentials are never returned', async () => {
    const put = await t
      .http()
      .put('/api/v1/secret-providers/vault')
      .set(bearer(a.ownerKey))
      .send(vaultBody())
      .expect(200);
    expect(put.body).toMatchObject({
      name: 'vault',
      type: 'vault',
      authMethod: 'token',
      hasCredentials: true,
      config: { address: vault.url, mount: 'secret', kvVersion: 2 },
    });
    expect(JSON.stringify(put.body)).not.toContain(canaryToken);
    // Replacing the config without auth keeps the stored credentials.
    const again = await t
      .http()
      .put('/api/v1/secret-providers/vault')
      .set(bearer(a.ownerKey))
      .send({ type: 'vault', config: { address: vault.url } })
      .expect(200);
    expect(again.body).toMatchObject({ hasCredentials: true, authMethod: 'token' });
    expect(
      (await t.http().post('/api/v1/secret-providers/vault/test').set(bearer(a.ownerKey)).send({}).expect(200)).body,
    ).toEqual({ ok: true });
    expect(
      (
        await t
          .http()
          .post('/api/v1/secret-providers/vault/test')
          .set(bearer(a.ownerKey))
          .send({ path: 'stripe', key: 'api_key' })
          .expect(200)
      ).body,
    ).toEqual({ ok: true });
    const missing = await t
      .http()
      .post('/api/v1/secret-providers/vault/test')
      .set(bearer(a.ownerKey))
      .send({ path: 'nope' })
      .expect(200);
    expect(missing.body).toMatchObject({ ok: false, reason: 'not_found' });
    const list = await t.http().get('/api/v1/secret-providers').set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['vault']);
    expect(list.body.nextCursor).toBeNull();
    await t
      .http()
      .put('/api/v1/secret-providers/tmp')
      .set(bearer(a.ownerKey))
      .send({ type: 'env', config: {} })
      .expect(200);
    await t.http().delete('/api/v1/secret-providers/tmp').set(bearer(a.ownerKey)).expect(204);
    await t.http().delete('/api/v1/secret-providers/tmp').set(bearer(a.ownerKey)).expect(404);
  });

  it('validates bodies (400 with paths, never echoing values)', async () => {
    const bad = async (body: unknown, path: string) => {
      const res = await t
        .http()
        .put('/api/v1/secret-providers/x')
        .set(bearer(a.ownerKey))
        .send(body as object)
        .expect(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(JSON.stringify(res.body)).not.toContain('CANARY');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await bad(
      { type: 'vault', config: { address: 'http://vault.example.com' }, auth: { method: 'token', token: 'CANARYx' } },
      'config.address',
    );
    await bad({ type: 'vault', config: { address: 'https://vault.example.com' } }, 'auth');
    await bad(
      {
        type: 'vault',
        config: { address: 'https://vault.example.com', extra: 1 },
        auth: { method: 'token', token: 't' },
      },
      'config.extra',
    );
    await bad(
      { type: 'vault', config: { address: 'https://v.example.com' }, auth: { method: 'ldap', password: 'CANARYp' } },
      'auth.method',
    );
    await bad(
      {
        type: 'vault',
        config: { address: 'https://v.example.com', caCert: 'not a pem CANARYc' },
        auth: { method: 'token', token: 't' },
      },
      'config.caCert',
    );
    await bad({ type: 'aws', config: { region: 'eu-west-1' } }, 'auth'); // default chain is off unless the operator allows it
    await bad(
      {
        type: 'aws',
        config: { region: 'nowhere' },
        auth: { accessKeyId: 'AKIA0000000000000000', secretAccessKey: 'CANARYs' },
      },
      'config.region',
    );
    await bad({ type: 'env', config: {}, auth: { token: 'CANARYe' } }, 'auth');
    const name = await t
      .http()
      .put('/api/v1/secret-providers/bad.name')
      .set(bearer(a.ownerKey))
      .send({ type: 'env', config: {} })
      .expect(400);
    expect(name.body.code).toBe('validation_failed');
    await t
      .http()
      .put('/api/v1/secret-providers/x')
      .set(bearer(a.ownerKey))
      .send({ type: 'vault', config: {}, orgId: b.id })
      .expect(400);
  });

  it('walks every provider route with every role: allowed as documented, and no credential in any answer', async () => {
    await t
      .http()
      .put('/api/v1/secret-providers/walk')
      .set(bearer(a.ownerKey))
      .send({
        type: 'vault',
        config: { address: vault.url },
        auth: { method: 'approle', roleId: 'walk-role', secretId: canarySecretId },
      })
      .expect(200);
    await t
      .http()
      .put('/api/v1/secret-providers/awsp')
      .set(bearer(a.ownerKey))
      .send({
        type: 'aws',
        config: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' },
        auth: { accessKeyId: 'AKIA0000000000000000', secretAccessKey: canaryAws },
      })
      .expect(200);
    const roles = ['owner', 'admin', 'editor', 'viewer'] as const;
    const expected: Record<string, Record<(typeof roles)[number], boolean>> = {
      'GET /api/v1/secret-providers': { owner: true, admin: true, editor: true, viewer: false },
      'PUT /api/v1/secret-providers/:name': { owner: true, admin: true, editor: false, viewer: false },
      'POST /api/v1/secret-providers/:name/test': { owner: true, admin: true, editor: false, viewer: false },
      'DELETE /api/v1/secret-providers/:name': { owner: true, admin: true, editor: false, viewer: false },
    };
    const answers: string[] = [];
    for (const role of roles) {
      const s: TestSession = await userSession(t, a.id, role);
      const as = (req: Test) => req.set(s.headers);
      const calls: Record<string, () => Promise<Response>> = {
        'GET /api/v1/secret-providers': () => as(t.http().get('/api/v1/secret-providers')),
        'PUT /api/v1/secret-providers/:name': () =>
          as(t.http().put(`/api/v1/secret-providers/${role}-p`)).send({ type: 'env', config: {} }),
        'POST /api/v1/secret-providers/:name/test': () =>
          as(t.http().post('/api/v1/secret-providers/walk/test')).send({}),
        'DELETE /api/v1/secret-providers/:name': () => as(t.http().delete(`/api/v1/secret-providers/${role}-p`)),
      };
      for (const [route, call] of Object.entries(calls)) {
        const res = await call();
        answers.push(res.text);
        const allowed = expected[route][role];
        expect(allowed ? res.status < 300 : res.status === 403, `${role} ${route} → ${res.status}`).toBe(true);
      }
      for (const name of ['walk', 'awsp', 'vault'])
        answers.push((await as(t.http().post(`/api/v1/secret-providers/${name}/test`)).send({ path: 'stripe' })).text);
    }
    answers.push((await t.http().get('/api/v1/secret-providers?limit=200').set(bearer(a.ownerKey))).text);
    const all = answers.join('\n');
    expect(all).toContain('"authMethod":"approle"');
    for (const c of canaries) expect(all.includes(c), 'a credential in an answer').toBe(false);
    expect(all).not.toMatch(/CANARY/);
  });

  it("isolates orgs: another org's provider name is unknown to test calls and references", async () => {
    await t.http().put('/api/v1/secret-providers/bvault').set(bearer(b.ownerKey)).send(vaultBody()).expect(200);
    const probe = await t
      .http()
      .post('/api/v1/secret-providers/bvault/test')
      .set(bearer(a.ownerKey))
      .send({})
      .expect(404);
    const none = await t
      .http()
      .post('/api/v1/secret-providers/never-existed/test')
      .set(bearer(a.ownerKey))
      .send({})
      .expect(404);
    expect(probe.body.code).toBe(none.body.code);
    await t.http().delete('/api/v1/secret-providers/bvault').set(bearer(a.ownerKey)).expect(404);
    await t
      .http()
      .put('/api/v1/secret-providers/bvault')
      .set(bearer(a.ownerKey))
      .send({ type: 'env', config: {} })
      .expect(200); // A's own, unrelated
    await t.http().delete('/api/v1/secret-providers/bvault').set(bearer(a.ownerKey)).expect(204);
    // B's provider is still there for B.
    expect(
      (await t.http().post('/api/v1/secret-providers/bvault/test').set(bearer(b.ownerKey)).send({}).expect(200)).body,
    ).toEqual({ ok: true });

    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        { id: 'use', type: 'transform', params: { fields: { v: '{{ secrets.bvault.stripe#api_key }}' } } },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.use.output }}' } },
      ]),
    );
    const res = await t.http().post(`/hooks/${flowId}`).send({});
    expect(res.text).not.toContain('sk_api_test_value');
    const [run] = await listRuns(t, a.ownerKey, flowId);
    const detail = await finishedRun(t, a.ownerKey, run.id);
    expect(detail.status).toBe('failed');
    expect(detail.error).toMatchObject({ type: 'node_error', nodeId: 'use' });
    expect(detail.error.message).toContain(
      'secret_unavailable: provider "bvault" could not provide "stripe#api_key" (not_configured',
    );
  });

  it('env provider: only the operator prefix, named without it; nothing else of the environment', async () => {
    await t
      .http()
      .put('/api/v1/secret-providers/env')
      .set(bearer(a.ownerKey))
      .send({ type: 'env', config: {} })
      .expect(200);
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 'use', type: 'transform', params: { fields: { ok: '{{ secrets.env.HOOK#x }}' } } }]),
    );
    await t.http().post(`/hooks/${flowId}`).send({});
    const [run] = await listRuns(t, a.ownerKey, flowId);
    // The value is not JSON, so #x cannot select from it: the failure names the key, and never the value.
    const detail = await finishedRun(t, a.ownerKey, run.id);
    expect(detail.error.message).toContain('"HOOK#x" (no_such_key');
    expect(JSON.stringify(detail)).not.toContain(envValue);
    for (const path of ['DATABASE_URL', 'DATABASE_URL_LOOKALIKE', 'PATH']) {
      const r = await t
        .http()
        .post('/api/v1/secret-providers/env/test')
        .set(bearer(a.ownerKey))
        .send({ path })
        .expect(200);
      expect(r.body).toMatchObject({ ok: false, reason: 'not_found' });
    }
    expect(
      (
        await t
          .http()
          .post('/api/v1/secret-providers/env/test')
          .set(bearer(a.ownerKey))
          .send({ path: 'HOOK' })
          .expect(200)
      ).body,
    ).toEqual({ ok: true });
  });

  it('gives code nodes and expressions no secrets object', async () => {
    const flowId = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([
        { id: 'expr', type: 'transform', params: { fields: { t: '{{ typeof secrets }}' } } },
        {
          id: 'code',
          type: 'code',
          params: { code: 'return { t: typeof secrets, g: typeof globalThis.secrets, e: input.t };' },
        },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.code.output }}' } },
      ]),
    );
    const res = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(res.body).toEqual({ t: 'undefined', g: 'undefined', e: 'undefined' });
  });

  it('audits updates and deletions without any credential', async () => {
    const { owner, close } = await auditClients();
    try {
      const { rows } = await owner.query(
        `SELECT action, metadata, e::text AS t FROM audit_event e WHERE org_id = $1 AND action LIKE 'secret_provider.%' ORDER BY seq`,
        [a.id],
      );
      expect(rows.map((r) => r.action)).toEqual(
        expect.arrayContaining(['secret_provider.updated', 'secret_provider.deleted']),
      );
      const first = rows.find((r) => r.action === 'secret_provider.updated')!.metadata;
      expect(first).toMatchObject({
        name: 'vault',
        before: null,
        after: { type: 'vault', authMethod: 'token', config: { mount: 'secret' } },
        credentialsChanged: true,
      });
      const text = rows.map((r) => r.t).join('\n');
      for (const c of canaries) expect(text.includes(c)).toBe(false);
    } finally {
      await close();
    }
    expect(t.logs()).not.toMatch(/CANARY/);
  });
});
