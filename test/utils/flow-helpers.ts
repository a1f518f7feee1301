import { expect } from 'vitest';
import { ApiKeysService, type NewApiKey } from '../../src/modules/identity/index.js';
import { bearer, type TestApp } from './test-app.js';

/** A loosely typed definition tests can bend into invalid shapes. */
export interface TestDefinition {
  schemaVersion: number;
  trigger: { type: string; settings?: Record<string, unknown> };
  nodes: { id: string; type: string; name?: string; params?: Record<string, any> }[];
  edges: { from: string; to: string; handle?: string }[];
  [extra: string]: unknown;
}

/** The example of API.md "Flow definition (version 1)". */
export const exampleDefinition = (): TestDefinition => ({
  schemaVersion: 1,
  trigger: { type: 'webhook', settings: { auth: { mode: 'none' }, respond: 'wait' } },
  nodes: [
    { id: 'sum', type: 'transform', params: { fields: { total: '{{ trigger.body.a + trigger.body.b }}' } } },
    { id: 'double', type: 'code', params: { code: 'return { doubled: input.total * 2 };' } },
    { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.double.output }}' } },
  ],
  edges: [
    { from: 'trigger', to: 'sum' },
    { from: 'sum', to: 'double' },
    { from: 'double', to: 'reply' },
  ],
});

/** An API key of `org` with a built-in role (and optional project limit or scopes), inserted as the system. */
export async function createKey(
  t: TestApp,
  orgId: string,
  role: string,
  extra: Partial<NewApiKey> = {},
): Promise<string> {
  const keys = t.server.app.get(ApiKeysService);
  const { key } = await t.server.deps.db.withOrg(orgId, (em) =>
    keys.insert(em, { orgId, name: `${role}-key`, role, createdByType: 'system', ...extra }),
  );
  return key;
}

export async function createProject(
  t: TestApp,
  key: string,
  name = `p-${Math.random().toString(36).slice(2, 8)}`,
): Promise<string> {
  const res = await t.http().post('/api/v1/projects').set(bearer(key)).send({ name }).expect(201);
  return res.body.id as string;
}

export async function createFlow(t: TestApp, key: string, projectId: string, name = 'flow'): Promise<string> {
  const res = await t.http().post(`/api/v1/projects/${projectId}/flows`).set(bearer(key)).send({ name }).expect(201);
  return res.body.id as string;
}

/** Reads the draft's ETag and saves `definition` under it; returns the response. */
export async function saveDraft(t: TestApp, key: string, flowId: string, definition: unknown, expectStatus = 200) {
  const current = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(key)).expect(200);
  const etag = current.headers.etag as string;
  expect(etag).toMatch(/^"[^"]+"$/);
  return t
    .http()
    .put(`/api/v1/flows/${flowId}/draft`)
    .set(bearer(key))
    .set('If-Match', etag)
    .send({ definition })
    .expect(expectStatus);
}

export async function publish(t: TestApp, key: string, flowId: string, message?: string): Promise<number> {
  const res = await t
    .http()
    .post(`/api/v1/flows/${flowId}/publish`)
    .set(bearer(key))
    .send(message ? { message } : {})
    .expect(201);
  return res.body.version as number;
}
