import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/core/database/database.js';
import { DomainEventBus } from '../../src/core/events/domain-events.js';
import { ApiKeysService } from '../../src/modules/identity/index.js';
import { auditClients } from '../utils/audit-db.js';
import { parseCsv } from '../utils/csv.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit API: query, export, settings, isolation', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let viewer: { id: string; key: string };
  let odd: { id: string; key: string };
  let owner: pg.Client;
  let close: () => Promise<void>;
  let projectIds: string[];
  let t1: string;
  let t2: string;

  const get = (path: string, key = a.ownerKey) => t.http().get(path).set(bearer(key));
  const all = async (query = '', key = a.ownerKey) => {
    const items: Record<string, any>[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Record<string, any>[]; nextCursor: string | null } } = await get(
        `/api/v1/audit-events?limit=3${query}${cursor ? `&cursor=${cursor}` : ''}`,
        key,
      ).expect(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    ({ owner, close } = await auditClients());
    const keys = t.server.app.get(ApiKeysService);
    const mk = (name: string, role: string) =>
      t.server.app.get(Database).withOrg(a.id, async (em) => {
        const { entity, key } = await keys.insert(em, { orgId: a.id, name, role, createdByType: 'system' });
        return { id: entity.id, key };
      });
    viewer = await mk('viewer', 'viewer');
    odd = await mk('-2+3 @SUM(1)', 'owner');
    projectIds = [];
    for (let i = 0; i < 3; i++)
      projectIds.push(
        (
          await t
            .http()
            .post('/api/v1/projects')
            .set(bearer(a.ownerKey))
            .send({ name: `p${i}` })
            .expect(201)
        ).body.id,
      );
    await sleep(20);
    t1 = new Date().toISOString();
    await sleep(20);
    await t
      .http()
      .patch(`/api/v1/projects/${projectIds[0]}`)
      .set(bearer(a.ownerKey))
      .send({ description: 'x' })
      .expect(200);
    await t.http().post('/api/v1/projects').set(bearer(viewer.key)).send({ name: 'nope' }).expect(403);
    await t.http().delete(`/api/v1/projects/${projectIds[1]}`).set(bearer(a.ownerKey)).expect(204);
    await sleep(20);
    t2 = new Date().toISOString();
    await sleep(20);
    await t
      .http()
      .post('/api/v1/projects')
      .set(bearer(odd.key))
      .set('User-Agent', '=HYPERLINK("http://evil.example")')
      .send({ name: 'late' })
      .expect(201);
    await t.http().post('/api/v1/projects').set(bearer(b.ownerKey)).send({ name: 'b-only' }).expect(201);
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('lists newest first with cursor pagination and the documented shape', async () => {
    const items = await all();
    expect(items.map((e) => e.seq)).toEqual(Array.from({ length: items.length }, (_, i) => items.length - i));
    expect(items.map((e) => e.action)).toEqual([
      'project.created',
      'project.deleted',
      'authz.denied',
      'project.updated',
      'project.created',
      'project.created',
      'project.created',
      'api_key.created',
      'api_key.created',
      'api_key.created',
      'org.created',
    ]);
    expect(items[1]).toMatchObject({
      orgId: a.id,
      action: 'project.deleted',
      resourceType: 'project',
      resourceId: projectIds[1],
      outcome: 'success',
      actor: { type: 'api_key', displayName: 'Owner key' },
      ip: expect.stringMatching(/127\.0\.0\.1$/),
      requestId: expect.any(String),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      time: expect.stringMatching(/Z$/),
    });
    const first = await get('/api/v1/audit-events').expect(200);
    expect(first.body.nextCursor).toBeNull();
    expect(first.body.items).toEqual(items);
  });

  it('filters by action, actor, resource, outcome and time range', async () => {
    expect((await all('&action=project.created')).map((e) => e.resourceId).slice(1)).toEqual([...projectIds].reverse());
    expect((await all(`&actorId=${viewer.id}`)).map((e) => [e.action, e.outcome, e.reason])).toEqual([
      ['authz.denied', 'denied', 'role'],
    ]);
    expect((await all('&outcome=denied')).map((e) => e.actor.id)).toEqual([viewer.id]);
    expect((await all(`&resourceType=project&resourceId=${projectIds[0]}`)).map((e) => e.action)).toEqual([
      'project.updated',
      'project.created',
    ]);
    expect((await all(`&resourceId=${projectIds[1]}`)).map((e) => e.action)).toEqual([
      'project.deleted',
      'project.created',
    ]);
    expect((await all(`&from=${t1}&to=${t2}`)).map((e) => e.action)).toEqual([
      'project.deleted',
      'authz.denied',
      'project.updated',
    ]);
    expect((await all(`&action=project.created&from=${t2}`)).map((e) => e.metadata.name)).toEqual(['late']);
    expect(await all(`&to=${t1}&action=project.updated`)).toEqual([]);
    expect(await all(`&from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
  });

  it('rejects malformed filters with 400 problem+json', async () => {
    for (const q of [
      'action=DROP TABLE',
      'outcome=maybe',
      'from=yesterday',
      'cursor=AAAA',
      'limit=500',
      'resourceType=Project',
      'unknown=1',
    ]) {
      const res = await get(`/api/v1/audit-events?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('validation_failed');
    }
  });

  it('keeps orgs apart and hides the platform chain', async () => {
    await t.server.app.get(Database).withSystem((em) =>
      t.server.app.get(DomainEventBus).publish(em, {
        action: 'platform_key.created',
        orgId: null,
        resourceType: 'platform_key',
        resourceId: 'pk1',
      }),
    );
    const bItems = await all('', b.ownerKey);
    expect(bItems.map((e) => e.action)).toEqual(['project.created', 'api_key.created', 'org.created']);
    expect(bItems.every((e) => e.orgId === b.id)).toBe(true);
    expect((await all()).some((e) => e.action === 'platform_key.created')).toBe(false);
    const { rows } = await owner.query(
      `SELECT org_id, actor_type FROM audit_event WHERE action = 'platform_key.created'`,
    );
    expect(rows).toEqual([{ org_id: '00000000-0000-0000-0000-000000000000', actor_type: 'system' }]);
    // The platform operator reads and verifies the platform chain; org keys cannot.
    const platform = await get('/api/v1/platform/audit-events?action=platform_key.created', t.platformKey).expect(200);
    expect(
      platform.body.items.map((e: { orgId: string | null; resourceId: string }) => [e.orgId, e.resourceId]),
    ).toEqual([[null, 'pk1']]);
    expect((await get('/api/v1/platform/audit-events/verify', t.platformKey).expect(200)).body).toMatchObject({
      ok: true,
    });
    await get('/api/v1/platform/audit-events').expect(403);
    await get('/api/v1/audit-events', t.platformKey).expect(403);
  });

  it('refuses the audit routes to roles without audit access, recording the denial', async () => {
    for (const path of [
      '/api/v1/audit-events',
      '/api/v1/audit-events/export',
      '/api/v1/audit-events/verify',
      '/api/v1/audit-settings',
    ]) {
      expect((await get(path, viewer.key)).status, path).toBe(403);
    }
    await t.http().put('/api/v1/audit-settings').set(bearer(viewer.key)).send({ retentionDays: 5 }).expect(403);
    const denials = await all(`&actorId=${viewer.id}&outcome=denied`);
    expect(denials.map((d) => d.metadata.route)).toEqual([
      '/api/v1/audit-settings',
      '/api/v1/audit-settings',
      '/api/v1/audit-events/verify',
      '/api/v1/audit-events/export',
      '/api/v1/audit-events',
      '/api/v1/projects',
    ]);
  });

  it('refuses bad audit settings and bad filters with 400 problem+json, changing nothing', async () => {
    const before = (await get('/api/v1/audit-settings').expect(200)).body;
    for (const body of [
      { retentionDays: 0 },
      { retentionDays: 'x' },
      { retentionDays: 36501 },
      { retentionDays: 30, orgId: 'x' },
      {},
    ]) {
      const res = await t.http().put('/api/v1/audit-settings').set(bearer(a.ownerKey)).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await get('/api/v1/audit-settings').expect(200)).body).toEqual(before);
    for (const q of ['outcome=maybe', 'from=yesterday', 'limit=0', 'cursor=!!', 'format=xml']) {
      const path = q.startsWith('format') ? `/api/v1/audit-events/export?${q}` : `/api/v1/audit-events?${q}`;
      const res = await get(path);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('validation_failed');
    }
  });

  it('exports NDJSON oldest first, with the filters', async () => {
    const res = await get('/api/v1/audit-events/export?format=ndjson')
      .buffer(true)
      .parse((r, cb) => {
        let s = '';
        r.on('data', (c: Buffer) => (s += c));
        r.on('end', () => cb(null, s));
      })
      .expect(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="audit-.*\.ndjson"/);
    const lines = (res.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const listed = (await all()).reverse();
    expect(lines.slice(0, listed.length)).toEqual(listed);
    const filtered = await get(`/api/v1/audit-events/export?action=project.created&from=${t2}`)
      .buffer(true)
      .parse((r, cb) => {
        let s = '';
        r.on('data', (c: Buffer) => (s += c));
        r.on('end', () => cb(null, s));
      })
      .expect(200);
    expect(
      (filtered.body as string)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).metadata.name),
    ).toEqual(['late']);
  });

  it('exports CSV with formula-starting cells neutralised', async () => {
    const res = await get('/api/v1/audit-events/export?format=csv&action=project.created')
      .buffer(true)
      .parse((r, cb) => {
        let s = '';
        r.on('data', (c: Buffer) => (s += c));
        r.on('end', () => cb(null, s));
      })
      .expect(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = parseCsv(res.body as string);
    expect(rows[0]).toEqual([
      'id',
      'orgId',
      'seq',
      'time',
      'actorType',
      'actorId',
      'actorName',
      'action',
      'resourceType',
      'resourceId',
      'outcome',
      'reason',
      'ip',
      'userAgent',
      'requestId',
      'metadata',
      'hash',
    ]);
    expect(rows).toHaveLength(5);
    const late = rows[4];
    expect(late[6]).toBe("'-2+3 @SUM(1)");
    expect(late[13]).toBe(`'=HYPERLINK("http://evil.example")`);
    expect(JSON.parse(late[15])).toEqual({ name: 'late' });
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    await get('/api/v1/audit-events/export?format=xlsx').expect(400);
  });
});
