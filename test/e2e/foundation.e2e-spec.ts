import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

describe('foundation HTTP behaviour', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_BODY_LIMIT: '4096' });
    a = await t.createOrg();
    b = await t.createOrg();
  });
  afterAll(() => t.close());

  it('health, readiness, metrics and docs answer without credentials', async () => {
    await t.http().get('/health/live').expect(200);
    expect((await t.http().get('/health/ready').expect(200)).body).toEqual({ status: 'ready' });
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.text).toMatch(
      /http_request_duration_seconds_count\{role="all",method="GET",route="\/health\/ready",status="200"\} 1\n/,
    );
    expect(metrics.text).toContain('db_pool_connections{pool="app",state="total",role="all"}');
    // prom-client's process metrics, with the process role on every series.
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes'])
      expect(metrics.text).toMatch(new RegExp(`^${name}\\{role="all"\\} `, 'm'));
    expect(metrics.text).toContain('tenantflow_rate_limit_refusals_total{limiter="api",role="all"} 0');
    const doc = await t.http().get('/docs/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/projects');
  });

  it('echoes a valid X-Request-Id and generates one otherwise', async () => {
    const res = await t.http().get('/health/live').set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const gen = await t.http().get('/health/live').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(gen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(gen.headers['x-content-type-options']).toBe('nosniff');
  });

  it('owner key lists, creates, reads, updates and deletes projects', async () => {
    const created = await t
      .http()
      .post('/api/v1/projects')
      .set(bearer(a.ownerKey))
      .send({ name: 'alpha', description: 'first' })
      .expect(201);
    const id = created.body.id as string;
    expect((await t.http().get(`/api/v1/projects/${id}`).set(bearer(a.ownerKey)).expect(200)).body.name).toBe('alpha');
    await t.http().patch(`/api/v1/projects/${id}`).set(bearer(a.ownerKey)).send({ name: 'alpha2' }).expect(200);
    const list = await t.http().get('/api/v1/projects').set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items.map((p: { name: string }) => p.name)).toContain('alpha2');
    expect(list.body.nextCursor).toBeNull();
    await t.http().delete(`/api/v1/projects/${id}`).set(bearer(a.ownerKey)).expect(204);
    await t.http().get(`/api/v1/projects/${id}`).set(bearer(a.ownerKey)).expect(404);
  });

  it('paginates with an opaque cursor, newest first', async () => {
    for (let i = 0; i < 5; i++)
      await t
        .http()
        .post('/api/v1/projects')
        .set(bearer(b.ownerKey))
        .send({ name: `page-${i}` })
        .expect(201);
    const first = await t.http().get('/api/v1/projects?limit=2').set(bearer(b.ownerKey)).expect(200);
    expect(first.body.items.map((p: { name: string }) => p.name)).toEqual(['page-4', 'page-3']);
    const second = await t
      .http()
      .get(`/api/v1/projects?limit=2&cursor=${first.body.nextCursor}`)
      .set(bearer(b.ownerKey))
      .expect(200);
    expect(second.body.items.map((p: { name: string }) => p.name)).toEqual(['page-2', 'page-1']);
    await t.http().get('/api/v1/projects?limit=500').set(bearer(b.ownerKey)).expect(400);
    await t.http().get('/api/v1/projects?cursor=!!').set(bearer(b.ownerKey)).expect(400);
  });

  it("another org's project answers 404 on read, update and delete, and never appears in lists", async () => {
    const mine = await t
      .http()
      .post('/api/v1/projects')
      .set(bearer(a.ownerKey))
      .send({ name: 'secret-project' })
      .expect(201);
    const id = mine.body.id as string;
    const nf = await t.http().get(`/api/v1/projects/${id}`).set(bearer(b.ownerKey)).expect(404);
    expect(nf.headers['content-type']).toContain('application/problem+json');
    expect(nf.body.code).toBe('project_not_found');
    await t.http().patch(`/api/v1/projects/${id}`).set(bearer(b.ownerKey)).send({ name: 'pwned' }).expect(404);
    await t.http().delete(`/api/v1/projects/${id}`).set(bearer(b.ownerKey)).expect(404);
    const list = await t.http().get('/api/v1/projects?limit=200').set(bearer(b.ownerKey)).expect(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).not.toContain(id);
    expect((await t.http().get(`/api/v1/projects/${id}`).set(bearer(a.ownerKey)).expect(200)).body.name).toBe(
      'secret-project',
    );
  });

  it('answers bad input with 4xx problem+json and no stack trace', async () => {
    const cases = [
      { req: t.http().get('/no/such/route'), status: 404, code: 'not_found' },
      {
        req: t
          .http()
          .post('/api/v1/projects')
          .set(bearer(a.ownerKey))
          .set('Content-Type', 'application/json')
          .send('{"name":'),
        status: 400,
        code: 'malformed_json',
      },
      {
        req: t.http().post('/api/v1/projects').set(bearer(a.ownerKey)).send({ name: 'x', orgId: b.id }),
        status: 400,
        code: 'validation_failed',
      },
      {
        req: t.http().post('/api/v1/projects').set(bearer(a.ownerKey)).send({ name: 5 }),
        status: 400,
        code: 'validation_failed',
      },
      {
        req: t
          .http()
          .post('/api/v1/projects')
          .set(bearer(a.ownerKey))
          .send({ name: 'x'.repeat(5000) }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        req: t
          .http()
          .post('/api/v1/projects')
          .set(bearer(a.ownerKey))
          .set('Content-Type', 'application/json')
          .send(`{"name":"x","extra":${'['.repeat(1000)}${']'.repeat(1000)}}`),
        status: 400,
        code: 'validation_failed',
      },
      {
        req: t.http().get('/api/v1/projects/not-a-uuid').set(bearer(a.ownerKey)),
        status: 404,
        code: 'project_not_found',
      },
      {
        req: t.http().patch('/api/v1/platform/orgs/not-a-uuid').set(bearer(t.platformKey)).send({ status: 'nope' }),
        status: 404,
        code: 'org_not_found',
      },
    ];
    for (const c of cases) {
      const res = await c.req;
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe(c.code);
      expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d|SELECT|INSERT/);
    }
    const unknownField = await t
      .http()
      .post('/api/v1/projects')
      .set(bearer(a.ownerKey))
      .send({ name: 'x', role: 'owner' });
    expect(unknownField.body.errors).toEqual([{ path: 'role', message: 'unknown field' }]);
  });

  it('a duplicate project name is a 409 and stores nothing half-written', async () => {
    await t.http().post('/api/v1/projects').set(bearer(a.ownerKey)).send({ name: 'dup' }).expect(201);
    const res = await t.http().post('/api/v1/projects').set(bearer(a.ownerKey)).send({ name: 'dup' }).expect(409);
    expect(res.body.code).toBe('project_name_taken');
    const list = await t.http().get('/api/v1/projects?limit=200').set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items.filter((p: { name: string }) => p.name === 'dup')).toHaveLength(1);
  });

  it('a wrong, unknown, malformed or platform key gets the same 401/403 treatment', async () => {
    const wrongSecret = a.ownerKey.slice(0, -4) + 'AAAA';
    for (const key of [wrongSecret, 'tfk_0000000000000000_' + 'A'.repeat(43), 'garbage']) {
      const res = await t.http().get('/api/v1/projects').set(bearer(key)).expect(401);
      expect(res.body.code).toBe('unauthenticated');
      expect(res.body.detail).toBe('A valid credential is required');
    }
    await t.http().get('/api/v1/projects').expect(401);
    await t.http().get('/api/v1/projects').set(bearer(t.platformKey)).expect(403);
    await t.http().get('/api/v1/platform/orgs').set(bearer(a.ownerKey)).expect(403);
  });

  it('platform routes create, list and suspend orgs; a suspended org is refused', async () => {
    const created = await t
      .http()
      .post('/api/v1/platform/orgs')
      .set(bearer(t.platformKey))
      .send({ name: 'Acme', slug: `acme-${Date.now()}` })
      .expect(201);
    expect(created.body.ownerApiKey.key).toMatch(/^tfk_[A-Za-z0-9_-]+$/);
    const key = created.body.ownerApiKey.key as string;
    await t.http().get('/api/v1/org').set(bearer(key)).expect(200);
    await t
      .http()
      .post('/api/v1/platform/orgs')
      .set(bearer(t.platformKey))
      .send({ name: 'Acme', slug: created.body.org.slug })
      .expect(409);
    await t
      .http()
      .post('/api/v1/platform/orgs')
      .set(bearer(t.platformKey))
      .send({ name: 'Bad', slug: 'Not A Slug' })
      .expect(400);
    const list = await t.http().get('/api/v1/platform/orgs?limit=200').set(bearer(t.platformKey)).expect(200);
    expect(list.body.items.map((o: { id: string }) => o.id)).toContain(created.body.org.id);
    await t
      .http()
      .patch(`/api/v1/platform/orgs/${created.body.org.id}`)
      .set(bearer(t.platformKey))
      .send({ status: 'suspended' })
      .expect(200);
    await new Promise((r) => setTimeout(r, 600)); // past the credential cache lifetime
    const refused = await t.http().get('/api/v1/org').set(bearer(key));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('org_suspended');
  });

  it('GET and PATCH /api/v1/org act on the caller org only', async () => {
    const org = await t.http().get('/api/v1/org').set(bearer(a.ownerKey)).expect(200);
    expect(org.body.id).toBe(a.id);
    await t.http().patch('/api/v1/org').set(bearer(a.ownerKey)).send({ name: 'Renamed A' }).expect(200);
    expect((await t.http().get('/api/v1/org').set(bearer(b.ownerKey)).expect(200)).body.id).toBe(b.id);
    await t.http().patch('/api/v1/org').set(bearer(a.ownerKey)).send({ slug: 'steal' }).expect(400);
  });
});
