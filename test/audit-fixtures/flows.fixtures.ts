import { createFlow, createProject, exampleDefinition, publish, saveDraft } from '../utils/flow-helpers.js';
import { bearerOf, type RouteFixture, type WalkerContext } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });
const flowEntry = (ctx: WalkerContext, action: string, flowId: string) => [
  { orgId: ctx.org.id, action, resourceType: 'flow', resourceId: flowId, actor: actor(ctx.owner.id) },
];

/** A new flow in a new project, made with the owner key; optionally with the example draft published (version 1). */
async function newFlow(ctx: WalkerContext, opts: { published?: boolean; enabled?: boolean } = {}): Promise<string> {
  const flowId = await createFlow(
    ctx.t,
    ctx.owner.key,
    await createProject(ctx.t, ctx.owner.key, ctx.unique('p')),
    ctx.unique('f'),
  );
  if (opts.published || opts.enabled) {
    await saveDraft(ctx.t, ctx.owner.key, flowId, exampleDefinition());
    await publish(ctx.t, ctx.owner.key, flowId);
  }
  if (opts.enabled) await ctx.t.http().post(`/api/v1/flows/${flowId}/enable`).set(bearerOf(ctx.owner)).expect(200);
  return flowId;
}

const newUser = async (ctx: WalkerContext): Promise<string> =>
  (
    await ctx.t
      .http()
      .post('/api/v1/users')
      .set(bearerOf(ctx.owner))
      .send({ email: `${ctx.unique('s')}@walker.test`, role: 'viewer' })
      .expect(201)
  ).body.id;

interface Share {
  flowId: string;
  userId: string;
}

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /api/v1/projects/:projectId/flows',
    prepare: (ctx) => createProject(ctx.t, ctx.owner.key, ctx.unique('p')),
    call: (ctx, projectId: string, c) =>
      ctx.t.http().post(`/api/v1/projects/${projectId}/flows`).set(bearerOf(c)).send({ name: 'walker flow' }),
    expect: (ctx, _p, res) => flowEntry(ctx, 'flow.created', res.body.id),
  },
  {
    route: 'PATCH /api/v1/flows/:flowId',
    prepare: (ctx) => newFlow(ctx),
    call: (ctx, id: string, c) => ctx.t.http().patch(`/api/v1/flows/${id}`).set(bearerOf(c)).send({ name: 'renamed' }),
    expect: (ctx, id: string) => flowEntry(ctx, 'flow.updated', id),
  },
  {
    route: 'DELETE /api/v1/flows/:flowId',
    prepare: (ctx) => newFlow(ctx),
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/flows/${id}`).set(bearerOf(c)),
    expect: (ctx, id: string) => flowEntry(ctx, 'flow.deleted', id),
  },
  {
    route: 'POST /api/v1/flows/:flowId/enable',
    prepare: (ctx) => newFlow(ctx, { published: true }),
    call: (ctx, id: string, c) => ctx.t.http().post(`/api/v1/flows/${id}/enable`).set(bearerOf(c)),
    expect: (ctx, id: string) => flowEntry(ctx, 'flow.enabled', id),
  },
  {
    route: 'POST /api/v1/flows/:flowId/disable',
    prepare: (ctx) => newFlow(ctx, { enabled: true }),
    call: (ctx, id: string, c) => ctx.t.http().post(`/api/v1/flows/${id}/disable`).set(bearerOf(c)),
    expect: (ctx, id: string) => flowEntry(ctx, 'flow.disabled', id),
  },
  {
    route: 'PUT /api/v1/flows/:flowId/draft',
    prepare: async (ctx) => {
      const id = await newFlow(ctx);
      const etag = (await ctx.t.http().get(`/api/v1/flows/${id}/draft`).set(bearerOf(ctx.owner)).expect(200)).headers
        .etag as string;
      return { id, etag };
    },
    call: (ctx, s: { id: string; etag: string }, c) =>
      ctx.t
        .http()
        .put(`/api/v1/flows/${s.id}/draft`)
        .set(bearerOf(c))
        .set('If-Match', s.etag)
        .send({ definition: exampleDefinition() }),
    expect: (ctx, s: { id: string }) => flowEntry(ctx, 'flow.draft_saved', s.id),
  },
  {
    route: 'POST /api/v1/flows/:flowId/publish',
    prepare: async (ctx) => {
      const id = await newFlow(ctx);
      await saveDraft(ctx.t, ctx.owner.key, id, exampleDefinition());
      return id;
    },
    call: (ctx, id: string, c) =>
      ctx.t.http().post(`/api/v1/flows/${id}/publish`).set(bearerOf(c)).send({ message: 'walker' }),
    expect: (ctx, id: string) => flowEntry(ctx, 'flow.published', id),
  },
  {
    route: 'POST /api/v1/flows/:flowId/rollback',
    prepare: (ctx) => newFlow(ctx, { published: true }),
    call: (ctx, id: string, c) =>
      ctx.t.http().post(`/api/v1/flows/${id}/rollback`).set(bearerOf(c)).send({ version: 1 }),
    expect: (ctx, id: string) => flowEntry(ctx, 'flow.rolled_back', id),
  },
  {
    route: 'PUT /api/v1/flows/:flowId/shares/:userId',
    prepare: async (ctx): Promise<Share> => ({ flowId: await newFlow(ctx), userId: await newUser(ctx) }),
    call: (ctx, s: Share, c) =>
      ctx.t.http().put(`/api/v1/flows/${s.flowId}/shares/${s.userId}`).set(bearerOf(c)).send({ role: 'editor' }),
    expect: (ctx, s: Share) => flowEntry(ctx, 'flow.shared', s.flowId),
  },
  {
    route: 'DELETE /api/v1/flows/:flowId/shares/:userId',
    prepare: async (ctx): Promise<Share> => {
      const s = { flowId: await newFlow(ctx), userId: await newUser(ctx) };
      await ctx.t
        .http()
        .put(`/api/v1/flows/${s.flowId}/shares/${s.userId}`)
        .set(bearerOf(ctx.owner))
        .send({ role: 'editor' })
        .expect(200);
      return s;
    },
    call: (ctx, s: Share, c) => ctx.t.http().delete(`/api/v1/flows/${s.flowId}/shares/${s.userId}`).set(bearerOf(c)),
    expect: (ctx, s: Share) => flowEntry(ctx, 'flow.unshared', s.flowId),
  },
];
