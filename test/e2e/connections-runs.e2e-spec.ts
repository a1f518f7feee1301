import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/core/crypto/key-ring.js';
import { rotateKeys } from '../../src/core/crypto/key-rotation.js';
import { createFlow, createProject, saveDraft } from '../utils/flow-helpers.js';
import { finishedRun, hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * The http.request node's `connectionId`: the engine applies the connection's auth, the resolved secrets never reach
 * the run record or the webhook's answer (even when the called server echoes them), and a connection the flow's
 * project may not use is refused at publish (422) and fails a run with `connection_not_found` (Must show 5, runs).
 */
const CANARY = 'run-canary-4b9e21';

describe('connections in runs', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let echo: Server;
  let base: string;
  const seen: IncomingMessage[] = [];
  let tokenRequests = 0;
  const tokenTtl = 3600;

  const connection = async (org: TestOrg, body: Record<string, unknown>) =>
    (
      await t
        .http()
        .post('/api/v1/connections')
        .set(bearer(org.ownerKey))
        .send({ name: `c-${Math.random()}`, ...body })
        .expect(201)
    ).body.id as string;
  const callingFlow = (connectionId: string, path = '/echo') =>
    hookFlow([
      { id: 'call', type: 'http.request', params: { method: 'GET', url: `${base}${path}`, connectionId } },
      { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.call.output.body }}' } },
    ]);
  const publishStatus = async (projectId: string, def: unknown) => {
    const flowId = await createFlow(t, a.ownerKey, projectId, `f-${Math.random()}`);
    await saveDraft(t, a.ownerKey, flowId, def);
    return t.http().post(`/api/v1/flows/${flowId}/publish`).set(bearer(a.ownerKey)).send({});
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    echo = createServer((req, res) => {
      if (req.url === '/token') {
        tokenRequests += 1;
        // Slow enough that concurrent runs overlap while the first one holds the row lock.
        setTimeout(
          () =>
            res.writeHead(200, { 'content-type': 'application/json' }).end(
              JSON.stringify({
                access_token: `${CANARY}-oauth-${tokenRequests}`,
                token_type: 'Bearer',
                expires_in: tokenTtl,
              }),
            ),
          200,
        );
        return;
      }
      seen.push(req);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ headers: req.headers, url: req.url }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [a.id],
    );
  });
  afterAll(async () => {
    echo?.close();
    await t?.close();
  });

  const noCanary = async (runId: string, answer: unknown) => {
    const run = await finishedRun(t, a.ownerKey, runId);
    expect(JSON.stringify(run)).not.toContain(CANARY);
    expect(JSON.stringify(answer)).not.toContain(CANARY);
    const rows = await t.server.deps.db.systemQuery(
      `SELECT r.*, (SELECT json_agg(s) FROM step_run s WHERE s.run_id = r.id) AS steps FROM run r WHERE r.id = $1`,
      [runId],
    );
    expect(JSON.stringify(rows)).not.toContain(CANARY);
    return run;
  };

  it('applies bearer, basic, api_key (query) and custom auth; the echoed secret is redacted everywhere', async () => {
    const project = await createProject(t, a.ownerKey);
    const cases: [Record<string, unknown>, (req: IncomingMessage) => void][] = [
      [
        { type: 'bearer', data: { token: `${CANARY}-bearer` } },
        (r) => expect(r.headers.authorization).toBe(`Bearer ${CANARY}-bearer`),
      ],
      [
        { type: 'basic', data: { username: 'al', password: `${CANARY}-pw` } },
        (r) => expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`al:${CANARY}-pw`).toString('base64')}`),
      ],
      [
        { type: 'api_key', data: { in: 'query', name: 'key', value: `${CANARY}-q` } },
        (r) => expect(r.url).toBe(`/echo?key=${CANARY}-q`),
      ],
      [
        {
          type: 'custom',
          data: {
            fields: {
              'X-Sig': { value: `${CANARY}-sig`, secret: true },
              'X-Plain': { value: 'visible', secret: false },
            },
          },
        },
        (r) => {
          expect(r.headers['x-sig']).toBe(`${CANARY}-sig`);
          expect(r.headers['x-plain']).toBe('visible');
        },
      ],
    ];
    for (const [body, check] of cases) {
      const id = await connection(a, { ...body, projectId: project });
      const flowId = await publishedFlow(t, a.ownerKey, callingFlow(id), { projectId: project });
      const res = await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
      check(seen.at(-1)!);
      expect(JSON.stringify(res.body)).toContain('[redacted]');
      await noCanary(res.headers['x-run-id'] ?? (await latestRun(flowId)), res.body);
    }
  });

  async function latestRun(flowId: string): Promise<string> {
    const list = await t.http().get(`/api/v1/flows/${flowId}/runs`).set(bearer(a.ownerKey)).expect(200);
    return list.body.items[0].id;
  }

  it('refuses at publish a connection of another project, another org, or a predefined one not offered to the project, with the same answer', async () => {
    const p = await createProject(t, a.ownerKey);
    const q = await createProject(t, a.ownerKey);
    const inQ = await connection(a, { type: 'bearer', projectId: q, data: { token: 't' } });
    const orgWide = await connection(a, { type: 'bearer', data: { token: 't' } });
    const pinnedToQ = await connection(a, {
      type: 'bearer',
      predefined: true,
      allowedProjectIds: [q],
      data: { token: 't' },
    });
    const pinnedToP = await connection(a, {
      type: 'bearer',
      predefined: true,
      allowedProjectIds: [p],
      data: { token: 't' },
    });
    const ofB = await connection(b, { type: 'bearer', data: { token: 't' } });
    const missing = '01900000-0000-7000-8000-000000000000';
    const messages = new Set<string>();
    for (const id of [inQ, pinnedToQ, ofB, missing]) {
      const res = await publishStatus(p, callingFlow(id));
      expect(res.status, id).toBe(422);
      expect(res.body.code).toBe('definition_not_publishable');
      messages.add(JSON.stringify(res.body.errors));
    }
    expect(messages.size).toBe(1);
    expect([...messages][0]).toContain('connection_not_found');
    for (const id of [orgWide, pinnedToP]) expect((await publishStatus(p, callingFlow(id))).status, id).toBe(201);
  });

  it('fails a run with connection_not_found when the connection went away after publishing', async () => {
    const project = await createProject(t, a.ownerKey);
    const id = await connection(a, { type: 'bearer', projectId: project, data: { token: `${CANARY}-gone` } });
    const flowId = await publishedFlow(t, a.ownerKey, callingFlow(id), { projectId: project });
    await t.http().delete(`/api/v1/connections/${id}`).set(bearer(a.ownerKey)).expect(204);
    const res = await t.http().post(`/hooks/${flowId}`).send({});
    const run = await noCanary(await latestRun(flowId), res.body);
    expect(run.status).toBe('failed');
    expect(run.error.message).toContain('connection_not_found');
  });

  it('OAuth2 client credentials: one token request for concurrent runs, renewed when expired, token redacted', async () => {
    const project = await createProject(t, a.ownerKey);
    const id = await connection(a, {
      type: 'oauth2',
      projectId: project,
      data: {
        grantType: 'client_credentials',
        clientId: 'cid',
        clientSecret: `${CANARY}-cs`,
        tokenUrl: `${base}/token`,
      },
    });
    const flowId = await publishedFlow(t, a.ownerKey, callingFlow(id), { projectId: project });
    tokenRequests = 0;
    const answers = await Promise.all([1, 2, 3, 4].map(() => t.http().post(`/hooks/${flowId}`).send({}).expect(200)));
    expect(tokenRequests).toBe(1);
    expect(seen.slice(-4).map((r) => r.headers.authorization)).toEqual(Array(4).fill(`Bearer ${CANARY}-oauth-1`));
    for (const res of answers) expect(JSON.stringify(res.body)).not.toContain(CANARY);
    // Expired: the next run renews it (once), the following one reuses the new token.
    await t.server.deps.db.systemQuery(
      `UPDATE connection SET token_expires_at = now() - interval '1 minute' WHERE id = $1`,
      [id],
    );
    await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(tokenRequests).toBe(2);
    expect(seen.at(-1)!.headers.authorization).toBe(`Bearer ${CANARY}-oauth-2`);
    const conn = await t.http().get(`/api/v1/connections/${id}`).set(bearer(a.ownerKey)).expect(200);
    expect(conn.body.oauth2).toMatchObject({ connected: true });
    expect(JSON.stringify(conn.body)).not.toContain(CANARY);
    await noCanary(await latestRun(flowId), {});
  });

  it('runs succeed while keys:rotate moves every connection of the org to a fresh data key', async () => {
    const org = await t.createOrg();
    await t.server.deps.db.systemQuery(
      `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
      [org.id],
    );
    const project = await createProject(t, org.ownerKey);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(await connection(org, { type: 'bearer', projectId: project, data: { token: `${CANARY}-rot-${i}` } }));
    const flows = await Promise.all(
      ids.slice(0, 3).map((id) => publishedFlow(t, org.ownerKey, callingFlow(id), { projectId: project })),
    );
    const before = await t.server.deps.db.systemQuery(`SELECT id FROM org_data_key WHERE org_id = $1 AND active`, [
      org.id,
    ]);
    let stop = false;
    let runs = 0;
    const runner = (async () => {
      while (!stop) {
        for (const flowId of flows) {
          await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
          runs += 1;
        }
      }
    })();
    const report = await rotateKeys(t.server.deps.db, t.server.app.get(KeyRing), {
      orgIds: [org.id],
      freshDataKeys: true,
      batchSize: 1,
    });
    stop = true;
    await runner;
    expect(runs).toBeGreaterThan(0);
    expect(report).toMatchObject({ rotated: ids.length, failed: [] });
    const after = await t.server.deps.db.systemQuery(`SELECT id FROM org_data_key WHERE org_id = $1 AND active`, [
      org.id,
    ]);
    expect(after[0].id).not.toBe(before[0].id);
    const [{ n }] = await t.server.deps.db.systemQuery(
      `SELECT count(*)::int AS n FROM connection WHERE org_id = $1 AND split_part(secret_data, ':', 2) <> $2`,
      [org.id, after[0].id],
    );
    expect(n).toBe(0);
    for (const flowId of flows) await t.http().post(`/hooks/${flowId}`).send({}).expect(200);
    expect(seen.at(-1)!.headers.authorization).toMatch(new RegExp(`^Bearer ${CANARY}-rot-`));
  });
});
