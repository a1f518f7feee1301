import { createFlow, createProject, publish, saveDraft } from './flow-helpers.js';
import { bearer, type TestApp } from './test-app.js';

export type Def = Record<string, unknown>;

/** A webhook flow definition: trigger settings plus a linear chain of nodes. */
export function hookFlow(nodes: Def[], settings: Def = {}, edges?: Def[]): Def {
  const linear = nodes.map((n, i) => ({ from: i === 0 ? 'trigger' : (nodes[i - 1].id as string), to: n.id as string }));
  return {
    schemaVersion: 1,
    trigger: { type: 'webhook', settings: { auth: { mode: 'none' }, respond: 'wait', ...settings } },
    nodes,
    edges: edges ?? linear,
  };
}

/** Creates a flow in a fresh project, saves `definition`, publishes it (version 1) and enables it unless told not to. */
export async function publishedFlow(
  t: TestApp,
  key: string,
  definition: Def,
  opts: { enable?: boolean; projectId?: string } = {},
): Promise<string> {
  const projectId = opts.projectId ?? (await createProject(t, key));
  const flowId = await createFlow(t, key, projectId, `f-${Math.random().toString(36).slice(2, 8)}`);
  await saveDraft(t, key, flowId, definition);
  await publish(t, key, flowId);
  if (opts.enable !== false) await t.http().post(`/api/v1/flows/${flowId}/enable`).set(bearer(key)).expect(200);
  return flowId;
}

/** Saves a new draft and publishes it; returns the version. */
export async function republish(t: TestApp, key: string, flowId: string, definition: Def): Promise<number> {
  await saveDraft(t, key, flowId, definition);
  return publish(t, key, flowId);
}

export async function listRuns(
  t: TestApp,
  key: string,
  flowId: string,
): Promise<{ id: string; status: string; version: number | 'draft'; trigger: string; error?: { type: string } }[]> {
  const res = await t.http().get(`/api/v1/flows/${flowId}/runs?limit=200`).set(bearer(key)).expect(200);
  return res.body.items;
}

/** Polls a run until it has ended. */
export async function finishedRun(
  t: TestApp,
  key: string,
  runId: string,
  timeoutMs = 10_000,
): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.http().get(`/api/v1/runs/${runId}`).set(bearer(key));
    if (res.status === 200 && !['queued', 'running'].includes(res.body.status)) return res.body;
    if (Date.now() > until) throw new Error(`run ${runId} did not finish (${res.status} ${res.body?.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
