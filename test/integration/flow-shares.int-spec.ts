import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subject } from '@casl/ability';
import type { Action } from '../../src/core/authz/ability.js';
import { RequestContextStore, type Principal } from '../../src/core/context/request-context.js';
import { accessibleWhere } from '../../src/core/http/policies.js';
import { AbilityFactory } from '../../src/modules/authorization/index.js';
import { FlowsService } from '../../src/modules/flows/index.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { createFlow, createProject, exampleDefinition, publish, saveDraft } from '../utils/flow-helpers.js';

/**
 * Flow-level sharing. Users cannot sign in yet (sessions come with the identity issue), so the user side is a
 * synthetic user principal whose ability is built by the real AbilityFactory (with the flows contributor) and
 * used by the real services; the share routes themselves are driven over HTTP with an owner key.
 */
describe('flow shares and the ability contributor', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let projectId: string;
  let shared: string;
  let notShared: string;
  let userId: string;

  const insertUser = async (orgId: string, role = 'guest', status = 'active') => {
    const id = randomUUID();
    await t.server.deps.db.systemQuery(
      `INSERT INTO app_user (id, org_id, email, role, status) VALUES ($1, $2, $3, $4, $5)`,
      [id, orgId, `${id}@example.com`, role, status],
    );
    return id;
  };
  // A role the matrix does not know grants nothing: everything the user can do comes from shares.
  const principal = (id = userId, orgId = a.id): Principal => ({ type: 'user', id, orgId, role: 'guest' });
  const ability = (p = principal()) => t.server.app.get(AbilityFactory).createForPrincipal(p);
  const can = async (action: Action, flowId: string, p = principal()) =>
    (await ability(p)).can(action, subject('Flow', { orgId: a.id, id: flowId, projectId }) as never);
  const share = (flowId: string, role: string, key = a.ownerKey, user = userId) =>
    t.http().put(`/api/v1/flows/${flowId}/shares/${user}`).set(bearer(key)).send({ role });
  /** Runs `fn` as the user would run inside a request: the same context the access guard builds. */
  const asUser = async <T>(fn: () => Promise<T>): Promise<T> => {
    const ab = await ability();
    return RequestContextStore.run({ requestId: 'test', principal: principal(), ability: ab }, fn);
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    projectId = await createProject(t, a.ownerKey);
    shared = await createFlow(t, a.ownerKey, projectId, 'shared');
    notShared = await createFlow(t, a.ownerKey, projectId, 'private');
    await saveDraft(t, a.ownerKey, shared, exampleDefinition());
    await publish(t, a.ownerKey, shared);
    userId = await insertUser(a.id);
  });
  afterAll(() => t.close());

  it('grants nothing without a share', async () => {
    expect(await can('read', shared)).toBe(false);
    expect(await ability()).toBeDefined();
  });

  it('an editor share allows reading, editing, publishing and running that one flow, not deleting or sharing it', async () => {
    const res = await share(shared, 'editor').expect(200);
    expect(res.body).toMatchObject({ userId, role: 'editor' });
    for (const action of ['read', 'update', 'publish', 'run'] as Action[])
      expect(await can(action, shared), action).toBe(true);
    for (const action of ['delete', 'manage'] as Action[]) expect(await can(action, shared), action).toBe(false);
    expect(await can('read', notShared)).toBe(false);
    // Rules stay inside the org: the same flow id under another org is not covered.
    expect((await ability()).can('read', subject('Flow', { orgId: b.id, id: shared, projectId }) as never)).toBe(false);
    // Through the services, as the user: the shared flow works, the other one does not exist.
    const flows = t.server.app.get(FlowsService);
    expect((await asUser(() => flows.get(a.id, shared))).name).toBe('shared');
    await expect(asUser(() => flows.get(a.id, notShared))).rejects.toMatchObject({
      code: 'flow_not_found',
      status: 404,
    });
    const listed = await asUser(() => flows.list(a.id, projectId, {}, accessibleWhere('read', 'Flow')));
    expect(listed.items.map((f) => f.id)).toEqual([shared]);
    await expect(asUser(() => flows.remove(a.id, shared))).rejects.toMatchObject({ code: 'forbidden', status: 403 });
  });

  it('a viewer share allows reading only; revoking removes it', async () => {
    await share(shared, 'viewer').expect(200);
    expect(await can('read', shared)).toBe(true);
    expect(await can('update', shared)).toBe(false);
    const flows = t.server.app.get(FlowsService);
    await expect(asUser(() => flows.update(a.id, shared, { name: 'x' }))).rejects.toMatchObject({
      code: 'forbidden',
      status: 403,
    });
    const list = await t.http().get(`/api/v1/flows/${shared}/shares`).set(bearer(a.ownerKey)).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ userId, role: 'viewer' })]);
    await t.http().delete(`/api/v1/flows/${shared}/shares/${userId}`).set(bearer(a.ownerKey)).expect(204);
    expect(await can('read', shared)).toBe(false);
    const again = await t.http().delete(`/api/v1/flows/${shared}/shares/${userId}`).set(bearer(a.ownerKey)).expect(404);
    expect(again.body.code).toBe('flow_share_not_found');
  });

  it('contributes nothing for a deleted flow, for API keys, or for another org', async () => {
    const gone = await createFlow(t, a.ownerKey, projectId, 'gone');
    await share(gone, 'editor').expect(200);
    expect(await can('read', gone)).toBe(true);
    await t.http().delete(`/api/v1/flows/${gone}`).set(bearer(a.ownerKey)).expect(204);
    expect(await can('read', gone)).toBe(false);
    await share(shared, 'editor').expect(200);
    expect(await can('read', shared, { type: 'api_key', id: userId, orgId: a.id, role: 'guest' })).toBe(false);
    expect(await can('read', shared, principal(userId, b.id))).toBe(false);
  });

  it('refuses shares for users of another org, deactivated users and unknown roles, storing nothing', async () => {
    const foreign = await insertUser(b.id);
    expect((await share(shared, 'viewer', a.ownerKey, foreign).expect(404)).body.code).toBe('user_not_found');
    const inactive = await insertUser(a.id, 'viewer', 'deactivated');
    expect((await share(shared, 'viewer', a.ownerKey, inactive).expect(404)).body.code).toBe('user_not_found');
    expect((await share(shared, 'owner').expect(400)).body.code).toBe('validation_failed');
    expect((await share(shared, 'viewer', b.ownerKey).expect(404)).body.code).toBe('flow_not_found');
    const { rows } = await t.server.deps.db
      .systemQuery(`SELECT count(*)::int AS n FROM flow_share WHERE user_id = ANY($1)`, [[foreign, inactive]])
      .then((r: unknown) => ({ rows: r as { n: number }[] }));
    expect(rows[0].n).toBe(0);
  });
});
