import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditClients } from '../utils/audit-db.js';
import { VaultDouble } from '../utils/doubles/vault-double.js';
import { finishedRun, hookFlow, listRuns, publishedFlow } from '../utils/run-helpers.js';
import { allowLoopback, secretsTestApp } from '../utils/secrets-app.js';
import { bearer, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Must show 2 (node parameter and connection): a flow whose `http.request` sends `Authorization: Bearer
 * {{ secrets.vault.stripe#api_key }}` reaches a loopback server with the right header, resolved from a Vault double at
 * execution time. The called server echoes the token back (raw, base64 and URL-encoded) and the flow answers the
 * webhook with that echo; the canary is then searched in the webhook answer, the run record and its steps, every log
 * line (trace level) and the whole audit table.
 */
describe('a resolved secret reaches the called server and nothing else', () => {
  let t: TestApp & { logs(): string };
  let org: TestOrg;
  let echo: Server;
  let echoUrl = '';
  const seen: string[] = [];
  const vault = new VaultDouble();
  const canary = `sk_live_CANARY${randomBytes(16).toString('hex')}/+=`;
  const forms = [
    canary,
    Buffer.from(canary).toString('base64'),
    Buffer.from(canary).toString('base64url'),
    encodeURIComponent(canary),
  ];
  const vaultToken = `hvs.CANARYTOKEN${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    await vault.start();
    vault.mount('secret', 2);
    vault.put('secret', 'stripe', { api_key: canary });
    vault.addToken({ id: vaultToken });
    echo = createServer((req, res) => {
      const auth = String(req.headers.authorization ?? '');
      seen.push(auth);
      const token = auth.replace(/^Bearer /, '');
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': token });
      res.end(
        JSON.stringify({
          youSent: auth,
          b64: Buffer.from(token).toString('base64'),
          b64url: Buffer.from(token).toString('base64url'),
          url: encodeURIComponent(token),
          query: req.url,
        }),
      );
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/echo`;
    t = await secretsTestApp();
    org = await t.createOrg();
    await allowLoopback(t, org.id);
    await t
      .http()
      .put('/api/v1/secret-providers/vault')
      .set(bearer(org.ownerKey))
      .send({
        type: 'vault',
        config: { address: vault.url, mount: 'secret', kvVersion: 2 },
        auth: { method: 'token', token: vaultToken },
      })
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
    echo.closeAllConnections();
    await new Promise((r) => echo.close(r));
    await vault.stop();
  });

  it('sends the header, then finds the canary nowhere it was recorded or answered', async () => {
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([
        {
          id: 'call',
          type: 'http.request',
          params: {
            method: 'POST',
            url: echoUrl,
            headers: { Authorization: 'Bearer {{ secrets.vault.stripe#api_key }}' },
            query: { again: '{{ secrets.vault.stripe#api_key }}' },
            body: { note: 'hello' },
          },
        },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.call.output }}' } },
      ]),
    );
    const reads = () => vault.count('/v1/secret/data/stripe');
    const before = reads();
    const answer = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(seen.at(-1)).toBe(`Bearer ${canary}`);
    // The same reference twice in one node: one provider call.
    expect(reads() - before).toBe(1);

    expect(answer.text).toContain('[redacted]');
    expect(answer.body.body.youSent).toBe('Bearer [redacted]');
    for (const f of forms) expect(answer.text.includes(f), `webhook answer holds ${f.slice(0, 20)}…`).toBe(false);

    const [run] = await listRuns(t, org.ownerKey, flowId);
    const record = await finishedRun(t, org.ownerKey, run.id);
    expect(record.status).toBe('succeeded');
    expect(record.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['call', 'reply']);
    const recordText = JSON.stringify(record);
    for (const f of forms) expect(recordText.includes(f), 'run record').toBe(false);
    expect(recordText).toContain('[redacted]');

    // A second run within the cache TTL: resolved from the org cache, no provider call.
    await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(seen.at(-1)).toBe(`Bearer ${canary}`);
    expect(reads() - before).toBe(1);

    const metrics = (await t.http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      /tenantflow_secret_resolutions_total\{provider="vault",outcome="success",cache="miss",role="all"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /tenantflow_secret_resolutions_total\{provider="vault",outcome="success",cache="hit",role="all"\} [1-9]/,
    );
    for (const f of forms) expect(metrics.includes(f)).toBe(false);

    const { owner, close } = await auditClients();
    try {
      const { rows } = await owner.query<{ t: string }>(`SELECT e::text AS t FROM audit_event e`);
      const table = rows.map((r) => r.t).join('\n');
      expect(table).toContain('secret_provider.updated');
      for (const f of [...forms, vaultToken]) expect(table.includes(f), 'audit table').toBe(false);
      const stored = await owner.query<{ t: string }>(
        `SELECT r::text AS t FROM run r WHERE org_id = $1 UNION ALL SELECT s::text FROM step_run s WHERE org_id = $1`,
        [org.id],
      );
      const storedText = stored.rows.map((r) => r.t).join('\n');
      expect(storedText.length).toBeGreaterThan(100);
      for (const f of forms) expect(storedText.includes(f), 'run tables').toBe(false);
      const providerRow = await owner.query<{ t: string }>(
        `SELECT p::text AS t FROM secret_provider p WHERE org_id = $1`,
        [org.id],
      );
      expect(providerRow.rows[0].t.includes(vaultToken)).toBe(false); // sealed at rest
    } finally {
      await close();
    }
    const logs = t.logs();
    expect(logs).toContain('"msg":"request"');
    for (const f of [...forms, vaultToken]) expect(logs.includes(f), 'log lines').toBe(false);
  });

  it('a connection whose token is a secret reference: the engine applies it with the resolved value, redacted everywhere', async () => {
    const conn = await t
      .http()
      .post('/api/v1/connections')
      .set(bearer(org.ownerKey))
      .send({ name: `stripe-${Date.now()}`, type: 'bearer', data: { token: '{{ secrets.vault.stripe#api_key }}' } })
      .expect(201);
    expect(JSON.stringify(conn.body)).not.toContain('secrets.vault');
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow([
        { id: 'call', type: 'http.request', params: { method: 'GET', url: echoUrl, connectionId: conn.body.id } },
        { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.call.output }}' } },
      ]),
    );
    const answer = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(seen.at(-1)).toBe(`Bearer ${canary}`);
    expect(answer.body.body.youSent).toBe('Bearer [redacted]');
    for (const f of forms) expect(answer.text.includes(f), 'webhook answer').toBe(false);
    const [run] = await listRuns(t, org.ownerKey, flowId);
    const recordText = JSON.stringify(await finishedRun(t, org.ownerKey, run.id));
    for (const f of forms) expect(recordText.includes(f), 'run record').toBe(false);
    const { owner, close } = await auditClients();
    try {
      const { rows } = await owner.query<{ t: string }>(
        `SELECT e::text AS t FROM audit_event e UNION ALL SELECT c::text FROM connection c WHERE org_id = $1`,
        [org.id],
      );
      for (const f of forms)
        expect(
          rows
            .map((r) => r.t)
            .join('\n')
            .includes(f),
          'audit and connection rows',
        ).toBe(false);
    } finally {
      await close();
    }
    for (const f of forms) expect(t.logs().includes(f), 'log lines').toBe(false);
  });

  it('fails the node with secret_unavailable, naming provider and path, when Vault is down; the retry policy applies', async () => {
    const def = hookFlow([
      {
        id: 'call',
        type: 'http.request',
        retry: { maxAttempts: 2, delayMs: 0 },
        params: { method: 'GET', url: echoUrl, headers: { Authorization: 'Bearer {{ secrets.vault.other#api_key }}' } },
      },
    ]);
    const flowId = await publishedFlow(t, org.ownerKey, def);
    vault.sealed = true;
    try {
      await t.http().post(`/hooks/${flowId}`).send({});
    } finally {
      vault.sealed = false;
    }
    const [run] = await listRuns(t, org.ownerKey, flowId);
    const record = await finishedRun(t, org.ownerKey, run.id);
    expect(record.status).toBe('failed');
    expect(record.steps.map((s: { attempt: number }) => s.attempt)).toEqual([1, 2]);
    expect(record.error.message).toContain(
      'secret_unavailable: provider "vault" could not provide "other#api_key" (unavailable',
    );
  });
});
