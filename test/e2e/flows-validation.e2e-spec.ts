import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowRuntimeService } from '../../src/modules/flows/index.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import {
  createFlow,
  createProject,
  exampleDefinition,
  publish,
  saveDraft,
  type TestDefinition as Def,
} from '../utils/flow-helpers.js';

describe('flows: invalid definitions, limits and secret values', () => {
  let t: TestApp;
  let a: TestOrg;
  let projectId: string;
  let otherProjectId: string;

  beforeAll(async () => {
    t = await createTestApp({ TENANTFLOW_FLOW_MAX_DEFINITION_BYTES: '16384', TENANTFLOW_FLOW_MAX_NODES: '20' });
    a = await t.createOrg();
    projectId = await createProject(t, a.ownerKey);
    otherProjectId = await createProject(t, a.ownerKey);
  });
  afterAll(() => t.close());

  async function expectDraftRefused(flowId: string, def: unknown, status: number, code: string, path: string) {
    const before = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
    const res = await saveDraft(t, a.ownerKey, flowId, def, status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe(code);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const after = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
    expect(after.body).toEqual(before.body); // nothing stored
  }

  async function expectPublishRefused(flowId: string, def: unknown, path: string, message: RegExp) {
    await saveDraft(t, a.ownerKey, flowId, def);
    const res = await t.http().post(`/api/v1/flows/${flowId}/publish`).set(bearer(a.ownerKey)).send({}).expect(422);
    expect(res.body.code).toBe('definition_not_publishable');
    expect(res.body.errors).toContainEqual({ path, message: expect.stringMatching(message) });
    const versions = await t.http().get(`/api/v1/flows/${flowId}/versions`).set(bearer(a.ownerKey)).expect(200);
    expect(versions.body.items).toEqual([]); // nothing published
  }

  it('refuses an unknown node type, bad parameters and a dangling edge at save (400 with a path)', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const unknownType: Def = exampleDefinition();
    unknownType.nodes[1] = { id: 'double', type: 'shell.exec', params: { code: 'rm -rf /' } };
    await expectDraftRefused(flowId, unknownType, 400, 'definition_invalid', '$.nodes[1].type');
    const unknownParam: Def = exampleDefinition();
    (unknownParam.nodes[2].params as Record<string, unknown>).cookie = 'x';
    await expectDraftRefused(flowId, unknownParam, 400, 'definition_invalid', '$.nodes[2].params.cookie');
    const badParam: Def = exampleDefinition();
    (badParam.nodes[2].params as Record<string, unknown>).status = 999;
    await expectDraftRefused(flowId, badParam, 400, 'definition_invalid', '$.nodes[2].params.status');
    const dangling: Def = exampleDefinition();
    dangling.edges.push({ from: 'reply', to: 'nowhere' });
    await expectDraftRefused(flowId, dangling, 400, 'definition_invalid', '$.edges[3].to');
    await expectDraftRefused(
      flowId,
      { ...exampleDefinition(), schemaVersion: 7 },
      400,
      'definition_invalid',
      '$.schemaVersion',
    );
    await expectDraftRefused(flowId, { ...exampleDefinition(), extra: true }, 400, 'definition_invalid', '$.extra');
    const etag = (await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200)).headers
      .etag as string;
    for (const [body, path] of [
      [{ definition: 'x' }, 'definition'],
      [{ definition: exampleDefinition(), orgId: 'x' }, 'orgId'],
      [{}, 'definition'],
    ] as const) {
      const res = await t
        .http()
        .put(`/api/v1/flows/${flowId}/draft`)
        .set(bearer(a.ownerKey))
        .set('If-Match', etag)
        .send(body)
        .expect(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ path }] });
    }
  });

  it('saves an incomplete draft and refuses it at publish (422 with paths)', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const def: Def = exampleDefinition();
    def.nodes.push({ id: 'call', type: 'http.request', params: { method: 'POST' } });
    def.edges.push({ from: 'reply', to: 'call' });
    await expectPublishRefused(flowId, def, '$.nodes[3].params.url', /required/);
  });

  it('refuses a cycle and an unreachable node at publish', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const cycle: Def = exampleDefinition();
    cycle.edges.push({ from: 'reply', to: 'sum' });
    await expectPublishRefused(flowId, cycle, '$.edges[3]', /closes a cycle/);
    const island: Def = exampleDefinition();
    island.nodes.push({ id: 'island', type: 'transform', params: { fields: {} } });
    await expectPublishRefused(flowId, island, '$.nodes[3]', /not reachable/);
  });

  it("refuses a malformed secret reference and another project's connection at publish", async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    // Real connections: one of this project, one of another project of the same org.
    const connection = async (project: string) =>
      (
        await t
          .http()
          .post('/api/v1/connections')
          .set(bearer(a.ownerKey))
          .send({ name: `c-${Math.random()}`, type: 'bearer', projectId: project, data: { token: 't0ken' } })
          .expect(201)
      ).body.id as string;
    const mine = await connection(projectId);
    const theirs = await connection(otherProjectId);
    const call = (connectionId: string, auth = 'Bearer {{ secrets.vault.kv/stripe#api_key }}'): Def => {
      const def: Def = exampleDefinition();
      def.nodes.push({
        id: 'call',
        type: 'http.request',
        params: { method: 'GET', url: 'https://api.example.com', connectionId, headers: { Authorization: auth } },
      });
      def.edges.push({ from: 'reply', to: 'call' });
      return def;
    };
    await expectPublishRefused(
      flowId,
      call(mine, '{{ secrets.vault.kv/stripe# }}'),
      '$.nodes[3].params.headers.Authorization',
      /malformed secret reference/,
    );
    await expectPublishRefused(flowId, call(theirs), '$.nodes[3].params.connectionId', /connection_not_found/);
    await expectPublishRefused(flowId, call('not-a-uuid'), '$.nodes[3].params.connectionId', /connection id/);
    await saveDraft(t, a.ownerKey, flowId, call(mine));
    expect(await publish(t, a.ownerKey, flowId)).toBe(1);
  });

  it('refuses a hostile, deeply nested definition with 4xx, not a 500', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const cur = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
    // 100 levels reach the definition validator; 5000 are refused by the body parser's depth guard first.
    for (const [depth, code] of [
      [100, 'definition_invalid'],
      [5000, 'validation_failed'],
    ] as const) {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const body = `{"definition":{"schemaVersion":1,"trigger":{"type":"manual"},"nodes":[{"id":"a","type":"transform","params":{"fields":{"x":${nested}}}}],"edges":[]}}`;
      const res = await t
        .http()
        .put(`/api/v1/flows/${flowId}/draft`)
        .set(bearer(a.ownerKey))
        .set('If-Match', cur.headers.etag as string)
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status, `depth ${depth}`).toBe(400);
      expect(res.body.code).toBe(code);
    }
  });

  it('refuses an oversized definition (413) and too many nodes (422) with a clear message', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const big: Def = exampleDefinition();
    big.nodes[1].params = { code: `// ${'x'.repeat(20_000)}` };
    await expectDraftRefused(flowId, big, 413, 'definition_too_large', '$');
    const res = await saveDraft(t, a.ownerKey, flowId, big, 413);
    expect(res.body.detail).toMatch(/limit is 16384 bytes/);
    const many: Def = exampleDefinition();
    for (let i = 0; i < 25; i++) many.nodes.push({ id: `n${i}`, type: 'transform', params: { fields: {} } });
    await expectDraftRefused(flowId, many, 422, 'definition_too_many_nodes', '$.nodes');
  });

  it('masks literal webhook secrets in responses and keeps them when the masked value is sent back', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const def: Def = exampleDefinition();
    def.trigger.settings = { auth: { mode: 'hmac', secret: 'hunter2-very-secret' }, respond: 'wait' } as never;
    const saved = await saveDraft(t, a.ownerKey, flowId, def);
    expect(JSON.stringify(saved.body)).not.toContain('hunter2');
    expect(saved.body.definition.trigger.settings.auth.secret).toBe('********');
    // Round trip: the client edits something else and sends the masked value back.
    const edited = saved.body.definition;
    edited.nodes[2].params.status = 201;
    await saveDraft(t, a.ownerKey, flowId, edited);
    expect(await publish(t, a.ownerKey, flowId)).toBe(1);
    const version = await t.http().get(`/api/v1/flows/${flowId}/versions/1`).set(bearer(a.ownerKey)).expect(200);
    expect(JSON.stringify(version.body)).not.toContain('hunter2');
    const hook = await t.server.app.get(FlowRuntimeService).findPublishedForWebhook(flowId);
    expect(hook).toMatchObject({ orgId: a.id, flowId, enabled: false, version: 1 });
    expect(hook!.definition!.trigger.settings).toEqual({
      auth: { mode: 'hmac', secret: 'hunter2-very-secret' },
      respond: 'wait',
    });
    // A changed secret shows as changed in a diff, but masked.
    const changed = structuredClone(edited);
    changed.trigger.settings.auth.secret = 'new-secret';
    await saveDraft(t, a.ownerKey, flowId, changed);
    const diff = await t.http().get(`/api/v1/flows/${flowId}/diff?from=1`).set(bearer(a.ownerKey)).expect(200);
    expect(diff.body.trigger).toEqual([
      { path: '$.trigger.settings.auth.secret', op: 'changed', before: '********', after: '********' },
    ]);
    expect(JSON.stringify(diff.body)).not.toMatch(/hunter2|new-secret/);
    // A mask with nothing stored behind it is refused.
    const orphan: Def = exampleDefinition();
    orphan.trigger.settings = {
      auth: { mode: 'header', name: 'x-token', value: '********' },
      respond: 'wait',
    } as never;
    const refused = await saveDraft(t, a.ownerKey, flowId, orphan, 400);
    expect(refused.body.errors).toEqual([
      { path: '$.trigger.settings.auth.value', message: expect.stringMatching(/masked/) },
    ]);
  });

  it('gives the engine the published, a numbered or the draft definition, unmasked', async () => {
    const runtime = t.server.app.get(FlowRuntimeService);
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await expect(runtime.getRunnableDefinition(a.id, flowId)).rejects.toMatchObject({ code: 'flow_not_published' });
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    await publish(t, a.ownerKey, flowId);
    expect(await runtime.getRunnableDefinition(a.id, flowId)).toMatchObject({
      version: 1,
      projectId,
      definition: exampleDefinition(),
    });
    expect(await runtime.getRunnableDefinition(a.id, flowId, 'draft')).toMatchObject({ version: 'draft' });
    const other = await t.createOrg();
    await expect(runtime.getRunnableDefinition(other.id, flowId)).rejects.toMatchObject({ code: 'flow_not_found' });
    await t.http().delete(`/api/v1/flows/${flowId}`).set(bearer(a.ownerKey)).expect(204);
    expect(await runtime.findPublishedForWebhook(flowId)).toBeNull();
  });
});
