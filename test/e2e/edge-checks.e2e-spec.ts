import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlow, createProject, exampleDefinition, saveDraft, publish } from '../utils/flow-helpers.js';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** supertest sends an array value as the header repeated (its types admit arrays for Cookie only). */
const repeated = (...values: string[]): string => values as unknown as string;

/** Issue 11: numbers, duplicate credentials and webhook 502 bodies are answered at the edge, never as a 500. */
describe('edge checks: integers, duplicate Authorization, webhook problem bodies', () => {
  let t: TestApp;
  let a: TestOrg;
  let flowId: string;
  let keyId: string;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    const projectId = await createProject(t, a.ownerKey);
    flowId = await createFlow(t, a.ownerKey, projectId);
    await saveDraft(t, a.ownerKey, flowId, { ...exampleDefinition(), trigger: { type: 'manual' } });
    await publish(t, a.ownerKey, flowId);
    keyId = (
      await t.http().post('/api/v1/api-keys').set(bearer(a.ownerKey)).send({ name: 'rot', role: 'viewer' }).expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  it("range-checks every integer in a path, query or body (400 validation_failed, or the route's 404)", async () => {
    const table: [string, string, string, unknown, number, string?][] = [
      ['POST', `/api/v1/flows/{flow}/rollback`, '', { version: 2147483648 }, 400, 'version'],
      ['POST', `/api/v1/flows/{flow}/rollback`, '', { version: 1e300 }, 400, 'version'],
      ['POST', `/api/v1/flows/{flow}/rollback`, '', { version: -1 }, 400, 'version'],
      ['POST', `/api/v1/flows/{flow}/rollback`, '', { version: 1.5 }, 400, 'version'],
      ['POST', `/api/v1/flows/{flow}/rollback`, '', { version: true }, 400, 'version'],
      ['POST', `/api/v1/flows/{flow}/rollback`, '', { version: 2147483647 }, 404],
      ['GET', `/api/v1/flows/{flow}/diff`, '?from=9999999999', undefined, 400, 'from'],
      ['GET', `/api/v1/flows/{flow}/diff`, '?from=1&to=2147483648', undefined, 400, 'to'],
      ['GET', `/api/v1/flows/{flow}/diff`, '?from=1', undefined, 200],
      ['GET', `/api/v1/flows/{flow}/versions/2147483648`, '', undefined, 404],
      ['GET', `/api/v1/flows/{flow}/versions/1e300`, '', undefined, 404],
      ['GET', '/api/v1/projects', '?limit=1e300', undefined, 400, 'limit'],
      ['GET', '/api/v1/projects', '?limit=2147483648', undefined, 400, 'limit'],
      ['GET', '/api/v1/projects', '?limit=0x10', undefined, 400, 'limit'],
      ['GET', '/api/v1/projects', '?limit=-1', undefined, 400, 'limit'],
      ['GET', '/api/v1/projects', '?limit=10', undefined, 200],
      ['GET', `/api/v1/flows/{flow}/runs`, '?limit=99999999999', undefined, 400, 'limit'],
      ['GET', '/api/v1/audit-events', '?limit=1e300', undefined, 400, 'limit'],
      ['GET', '/api/v1/audit-events', '?limit=5', undefined, 200],
      ['POST', `/api/v1/flows/{flow}/runs`, '', { version: 2147483648 }, 400, 'version'],
      ['POST', `/api/v1/flows/{flow}/runs`, '', { version: 1e300 }, 400, 'version'],
      ['POST', `/api/v1/api-keys/{key}/rotate`, '', { gracePeriodSeconds: 1e300 }, 400, 'gracePeriodSeconds'],
      ['PUT', '/api/v1/audit-settings', '', { retentionDays: 1e300 }, 400, 'retentionDays'],
      ['PUT', '/api/v1/audit-settings', '', { retentionDays: 2147483648 }, 400, 'retentionDays'],
      [
        'PUT',
        '/api/v1/sso/saml',
        '',
        { maxAssertionAgeSeconds: 1e300, clockSkewSeconds: 2147483648 },
        400,
        'maxAssertionAgeSeconds',
      ],
    ];
    const failures: unknown[] = [];
    for (const [method, route, query, body, status, path] of table) {
      const url = route.replace('{flow}', flowId).replace('{key}', keyId) + query;
      const req = t.http()[method.toLowerCase() as 'get'](url).set(bearer(a.ownerKey));
      const res = body === undefined ? await req : await req.send(body as object);
      const ok =
        res.status === status &&
        (status !== 400 ||
          (res.body.code === 'validation_failed' && res.body.errors.some((e: { path: string }) => e.path === path)));
      if (!ok)
        failures.push({
          method,
          route,
          query,
          body,
          status: res.status,
          code: res.body?.code,
          errors: res.body?.errors,
        });
    }
    expect(failures).toEqual([]);
  });

  it('refuses two Authorization headers with 400 on the API, whichever comes first', async () => {
    const sends = (first: string, second: string) =>
      t.http().get('/api/v1/projects').set('Authorization', repeated(first, second));
    for (const [first, second] of [
      [`Bearer ${a.ownerKey}`, 'Bearer tfk_bogus_bogus'],
      ['Bearer tfk_bogus_bogus', `Bearer ${a.ownerKey}`],
      [`Bearer ${a.ownerKey}`, `Bearer ${a.ownerKey}`],
    ]) {
      const res = await sends(first, second).expect(400);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.body.code).toBe('bad_request');
    }
    await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
  });

  it('refuses repeated credential headers on /hooks (basic and header auth) with the same problem', async () => {
    const basic = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: {
        type: 'webhook',
        settings: { auth: { mode: 'basic', username: 'u', password: 'pw-0123456' }, respond: 'wait' },
      },
    });
    const good = `Basic ${Buffer.from('u:pw-0123456').toString('base64')}`;
    const twice = await t
      .http()
      .post(`/hooks/${basic}`)
      .set('Authorization', repeated(good, 'Basic eDp5'))
      .send({ a: 1, b: 2 })
      .expect(400);
    const api = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', repeated(`Bearer ${a.ownerKey}`, 'Bearer x'))
      .expect(400);
    expect({ ...twice.body, requestId: undefined }).toEqual({ ...api.body, requestId: undefined });
    expect(twice.headers['content-type']).toBe(api.headers['content-type']);
    await t.http().post(`/hooks/${basic}`).set('Authorization', good).send({ a: 1, b: 2 }).expect(200);
    const header = await publishedFlow(t, a.ownerKey, {
      ...exampleDefinition(),
      trigger: {
        type: 'webhook',
        settings: { auth: { mode: 'header', name: 'X-Hook-Token', value: 'tok_0123456789' }, respond: 'wait' },
      },
    });
    await t
      .http()
      .post(`/hooks/${header}`)
      .set('X-Hook-Token', repeated('tok_0123456789', 'tok_0123456789'))
      .send({ a: 1, b: 2 })
      .expect(400);
    await t.http().post(`/hooks/${header}`).set('X-Hook-Token', 'tok_0123456789').send({ a: 1, b: 2 }).expect(200);
  });

  it('a failed waiting webhook answers 502 problem+json with the HTTP status in status and the run status in runStatus', async () => {
    const failing = await publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 'boom', type: 'code', params: { code: 'throw new Error("nope")' } }]),
    );
    const res = await t.http().post(`/hooks/${failing}`).send({}).expect(502);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({
      status: 502,
      code: 'run_failed',
      runStatus: 'failed',
      error: { type: 'user_error' },
    });
    expect(res.body.runId).toBeDefined();
  });
});
