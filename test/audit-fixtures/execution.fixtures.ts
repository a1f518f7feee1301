import { publishedFlow } from '../utils/run-helpers.js';
import { bearerOf, type RouteFixture, type WalkerContext } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });
const runEntry = (ctx: WalkerContext, action: string, runId: string) => [
  { orgId: ctx.org.id, action, resourceType: 'run', resourceId: runId, actor: actor(ctx.owner.id) },
];

/** A published manual flow of one code node. */
const manualFlow = (ctx: WalkerContext, code: string) =>
  publishedFlow(ctx.t, ctx.owner.key, {
    schemaVersion: 1,
    trigger: { type: 'manual' },
    nodes: [{ id: 'c', type: 'code', params: { code } }],
    edges: [{ from: 'trigger', to: 'c' }],
  });

/** Busy for a while, so the run is still running when the walker cancels it (cancelling stops it at once). */
const BUSY = 'const end = Date.now() + 3000; while (Date.now() < end) {} return "done";';

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /api/v1/flows/:flowId/runs',
    prepare: (ctx) => manualFlow(ctx, 'return { n: trigger.input.n * 2 };'),
    call: (ctx, flowId: string, c) =>
      ctx.t
        .http()
        .post(`/api/v1/flows/${flowId}/runs`)
        .set(bearerOf(c))
        .send({ input: { n: 2 }, wait: true }),
    // The run's own record (steps, output) is run history, not audit: one entry.
    expect: (ctx, _f, res) => runEntry(ctx, 'run.started', res.body.runId),
  },
  {
    route: 'POST /api/v1/runs/:runId/cancel',
    prepare: async (ctx) => {
      const flowId = await manualFlow(ctx, BUSY);
      return (
        await ctx.t.http().post(`/api/v1/flows/${flowId}/runs`).set(bearerOf(ctx.owner)).send({ input: {} }).expect(201)
      ).body.runId as string;
    },
    call: (ctx, runId: string, c) => ctx.t.http().post(`/api/v1/runs/${runId}/cancel`).set(bearerOf(c)),
    expect: (ctx, runId: string) => runEntry(ctx, 'run.cancelled', runId),
  },
];
