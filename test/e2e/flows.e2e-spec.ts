import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/core/events/domain-events.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { createFlow, createProject, exampleDefinition, publish, saveDraft } from '../utils/flow-helpers.js';

describe('flows: drafts, publishing, versions, diff and rollback', () => {
  let t: TestApp;
  let a: TestOrg;
  let projectId: string;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    projectId = await createProject(t, a.ownerKey);
  });
  afterAll(() => t.close());

  it('creates, lists, reads, renames and soft-deletes a flow', async () => {
    const created = await t
      .http()
      .post(`/api/v1/projects/${projectId}/flows`)
      .set(bearer(a.ownerKey))
      .send({ name: 'orders', description: 'd' })
      .expect(201);
    expect(created.body).toMatchObject({
      projectId,
      name: 'orders',
      description: 'd',
      enabled: false,
      publishedVersion: null,
      draftRevision: 1,
    });
    const id = created.body.id as string;
    const list = await t.http().get(`/api/v1/projects/${projectId}/flows`).set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items.map((f: { id: string }) => f.id)).toContain(id);
    const patched = await t
      .http()
      .patch(`/api/v1/flows/${id}`)
      .set(bearer(a.ownerKey))
      .send({ name: 'orders-2' })
      .expect(200);
    expect(patched.body.name).toBe('orders-2');
    await t.http().delete(`/api/v1/flows/${id}`).set(bearer(a.ownerKey)).expect(204);
    const gone = await t.http().get(`/api/v1/flows/${id}`).set(bearer(a.ownerKey)).expect(404);
    expect(gone.body.code).toBe('flow_not_found');
    const after = await t.http().get(`/api/v1/projects/${projectId}/flows`).set(bearer(a.ownerKey)).expect(200);
    expect(after.body.items.map((f: { id: string }) => f.id)).not.toContain(id);
    const { rows } = await t.server.deps.db
      .systemQuery(`SELECT deleted_at FROM flow WHERE id = $1`, [id])
      .then((r: unknown) => ({ rows: r as { deleted_at: Date }[] }));
    expect(rows[0].deleted_at).toBeInstanceOf(Date);
  });

  it('serves the draft with a strong ETag and refuses a stale or missing If-Match', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const first = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
    expect(first.body.definition).toMatchObject({
      schemaVersion: 1,
      trigger: { type: 'manual' },
      nodes: [],
      edges: [],
    });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    const saved = await t
      .http()
      .put(`/api/v1/flows/${flowId}/draft`)
      .set(bearer(a.ownerKey))
      .set('If-Match', etag)
      .send({ definition: exampleDefinition() })
      .expect(200);
    expect(saved.headers.etag).not.toBe(etag);
    expect(saved.body.definition).toEqual(exampleDefinition());
    const stale = await t
      .http()
      .put(`/api/v1/flows/${flowId}/draft`)
      .set(bearer(a.ownerKey))
      .set('If-Match', etag)
      .send({ definition: exampleDefinition() })
      .expect(412);
    expect(stale.body.code).toBe('draft_conflict');
    const weak = await t
      .http()
      .put(`/api/v1/flows/${flowId}/draft`)
      .set(bearer(a.ownerKey))
      .set('If-Match', `W/${saved.headers.etag}`)
      .send({ definition: exampleDefinition() })
      .expect(412);
    expect(weak.body.code).toBe('draft_conflict');
    const missing = await t
      .http()
      .put(`/api/v1/flows/${flowId}/draft`)
      .set(bearer(a.ownerKey))
      .send({ definition: exampleDefinition() })
      .expect(428);
    expect(missing.body.code).toBe('precondition_required');
    const now = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
    expect(now.headers.etag).toBe(saved.headers.etag);
    expect(now.body.revision).toBe(2);
  });

  it('publishes immutable, numbered versions and lists them newest first', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    expect(await publish(t, a.ownerKey, flowId, 'first')).toBe(1);
    expect(await publish(t, a.ownerKey, flowId)).toBe(2);
    const flow = await t.http().get(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).expect(200);
    expect(flow.body.publishedVersion).toBe(2);
    const list = await t.http().get(`/api/v1/flows/${flowId}/versions?limit=1`).set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items.map((v: { version: number }) => v.version)).toEqual([2]);
    const next = await t
      .http()
      .get(`/api/v1/flows/${flowId}/versions?limit=1&cursor=${list.body.nextCursor}`)
      .set(bearer(a.ownerKey))
      .expect(200);
    expect(next.body.items).toMatchObject([{ version: 1, message: 'first', createdBy: { type: 'api_key' } }]);
    expect(next.body.nextCursor).toBeNull();
    const v1 = await t.http().get(`/api/v1/flows/${flowId}/versions/1`).set(bearer(a.ownerKey)).expect(200);
    expect(v1.body).toMatchObject({ version: 1, flowId, definition: exampleDefinition() });
    for (const bad of ['3', '0', 'abc', '1.5']) {
      const nf = await t.http().get(`/api/v1/flows/${flowId}/versions/${bad}`).set(bearer(a.ownerKey)).expect(404);
      expect(nf.body.code).toBe('flow_version_not_found');
    }
    // No route modifies a version.
    for (const method of ['put', 'patch', 'delete'] as const) {
      await t
        .http()
        [method](`/api/v1/flows/${flowId}/versions/1`)
        .set(bearer(a.ownerKey))
        .send({ definition: {} })
        .expect(404);
    }
  });

  it('enables only a published flow and disables it', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const refused = await t.http().post(`/api/v1/flows/${flowId}/enable`).set(bearer(a.ownerKey)).expect(409);
    expect(refused.body.code).toBe('flow_not_published');
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    await publish(t, a.ownerKey, flowId);
    expect(
      (await t.http().post(`/api/v1/flows/${flowId}/enable`).set(bearer(a.ownerKey)).expect(200)).body.enabled,
    ).toBe(true);
    expect(
      (await t.http().post(`/api/v1/flows/${flowId}/disable`).set(bearer(a.ownerKey)).expect(200)).body.enabled,
    ).toBe(false);
  });

  it('diffs versions and the draft with JSON paths', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    await publish(t, a.ownerKey, flowId);
    const next = exampleDefinition();
    next.nodes[1].params = { code: 'return { doubled: input.total * 3 };' };
    next.nodes.splice(0, 1, { id: 'total', type: 'transform', params: { fields: { total: '{{ trigger.body.a }}' } } });
    next.edges[0] = { from: 'trigger', to: 'total' };
    next.edges[1] = { from: 'total', to: 'double' };
    await saveDraft(t, a.ownerKey, flowId, next);
    const res = await t.http().get(`/api/v1/flows/${flowId}/diff?from=1&to=draft`).set(bearer(a.ownerKey)).expect(200);
    expect(res.body).toMatchObject({
      from: 1,
      to: 'draft',
      identical: false,
      changes: [],
      trigger: [],
      nodes: {
        added: [{ id: 'total', type: 'transform', path: '$.nodes[0]' }],
        removed: [{ id: 'sum', type: 'transform', path: '$.nodes[0]' }],
        changed: [
          {
            id: 'double',
            path: '$.nodes[1]',
            changes: [
              {
                path: '$.nodes[1].params.code',
                op: 'changed',
                before: 'return { doubled: input.total * 2 };',
                after: 'return { doubled: input.total * 3 };',
              },
            ],
          },
        ],
      },
      edges: {
        added: [
          { from: 'trigger', to: 'total', path: '$.edges[0]' },
          { from: 'total', to: 'double', path: '$.edges[1]' },
        ],
        removed: [
          { from: 'trigger', to: 'sum', path: '$.edges[0]' },
          { from: 'sum', to: 'double', path: '$.edges[1]' },
        ],
      },
    });
    const same = await t.http().get(`/api/v1/flows/${flowId}/diff?from=1&to=1`).set(bearer(a.ownerKey)).expect(200);
    expect(same.body.identical).toBe(true);
    await t.http().get(`/api/v1/flows/${flowId}/diff?from=9`).set(bearer(a.ownerKey)).expect(404);
    expect(
      (await t.http().get(`/api/v1/flows/${flowId}/diff?from=x`).set(bearer(a.ownerKey)).expect(400)).body.code,
    ).toBe('validation_failed');
  });

  it('rolls back: version 6 of a flow at version 5 equals version 1 and diffs empty against it', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    for (let i = 1; i <= 5; i++) {
      const def = exampleDefinition();
      def.nodes[2].params = { status: 200 + i, body: `{{ nodes.double.output }}` };
      await saveDraft(t, a.ownerKey, flowId, def);
      expect(await publish(t, a.ownerKey, flowId)).toBe(i);
    }
    const rolled = await t
      .http()
      .post(`/api/v1/flows/${flowId}/rollback`)
      .set(bearer(a.ownerKey))
      .send({ version: 1 })
      .expect(201);
    expect(rolled.body).toEqual({ version: 6 });
    const v1 = await t.http().get(`/api/v1/flows/${flowId}/versions/1`).set(bearer(a.ownerKey)).expect(200);
    const v6 = await t.http().get(`/api/v1/flows/${flowId}/versions/6`).set(bearer(a.ownerKey)).expect(200);
    expect(v6.body.definition).toEqual(v1.body.definition);
    expect(v6.body.rolledBackFrom).toBe(1);
    const diff = await t.http().get(`/api/v1/flows/${flowId}/diff?from=1&to=6`).set(bearer(a.ownerKey)).expect(200);
    expect(diff.body).toMatchObject({
      identical: true,
      changes: [],
      trigger: [],
      nodes: { added: [], removed: [], changed: [] },
      edges: { added: [], removed: [] },
    });
    expect(
      (await t.http().get(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).expect(200)).body.publishedVersion,
    ).toBe(6);
    const diff5 = await t.http().get(`/api/v1/flows/${flowId}/diff?from=5&to=6`).set(bearer(a.ownerKey)).expect(200);
    expect(diff5.body.nodes.changed).toEqual([
      {
        id: 'reply',
        type: 'respond',
        path: '$.nodes[2]',
        changes: [{ path: '$.nodes[2].params.status', op: 'changed', before: 205, after: 201 }],
      },
    ]);
    const missing = await t
      .http()
      .post(`/api/v1/flows/${flowId}/rollback`)
      .set(bearer(a.ownerKey))
      .send({ version: 42 })
      .expect(404);
    expect(missing.body.code).toBe('flow_version_not_found');
  });

  it('publishes a domain event for the audit log on every change, without secret values', async () => {
    const seen: DomainEvent[] = [];
    t.server.deps.events.subscribe(async (_em, e) => void seen.push(e));
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await t.http().patch(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).send({ description: 'x' }).expect(200);
    const def = exampleDefinition();
    (def.trigger.settings as Record<string, unknown>).auth = { mode: 'basic', username: 'u', password: 'pa55-secret' };
    await saveDraft(t, a.ownerKey, flowId, def);
    await publish(t, a.ownerKey, flowId);
    await publish(t, a.ownerKey, flowId);
    await t.http().post(`/api/v1/flows/${flowId}/rollback`).set(bearer(a.ownerKey)).send({ version: 1 }).expect(201);
    await t.http().post(`/api/v1/flows/${flowId}/enable`).set(bearer(a.ownerKey)).expect(200);
    await t.http().post(`/api/v1/flows/${flowId}/disable`).set(bearer(a.ownerKey)).expect(200);
    const userId = randomUUID();
    await t.server.deps.db.systemQuery(`INSERT INTO app_user (id, org_id, email, role) VALUES ($1, $2, $3, 'viewer')`, [
      userId,
      a.id,
      `${userId}@example.com`,
    ]);
    await t
      .http()
      .put(`/api/v1/flows/${flowId}/shares/${userId}`)
      .set(bearer(a.ownerKey))
      .send({ role: 'editor' })
      .expect(200);
    await t.http().delete(`/api/v1/flows/${flowId}/shares/${userId}`).set(bearer(a.ownerKey)).expect(204);
    await t.http().delete(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).expect(204);
    const mine = seen.filter((e) => e.resourceId === flowId);
    expect(mine.map((e) => e.action)).toEqual([
      'flow.created',
      'flow.updated',
      'flow.draft_saved',
      'flow.published',
      'flow.published',
      'flow.rolled_back',
      'flow.enabled',
      'flow.disabled',
      'flow.shared',
      'flow.unshared',
      'flow.deleted',
    ]);
    expect(mine.every((e) => e.orgId === a.id && e.resourceType === 'flow')).toBe(true);
    expect(mine.find((e) => e.action === 'flow.rolled_back')!.metadata).toMatchObject({
      version: 3,
      rolledBackFrom: 1,
      previousVersion: 2,
    });
    expect(JSON.stringify(seen)).not.toContain('pa55-secret');
  });
});
