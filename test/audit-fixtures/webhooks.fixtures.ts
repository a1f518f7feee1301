import { exampleDefinition } from '../utils/flow-helpers.js';
import { publishedFlow } from '../utils/run-helpers.js';
import type { RouteFixture, WalkerContext } from './types.js';

/** The example flow (sums a and b, doubles, responds), published and enabled, answering `method` without auth. */
const hookFor = (ctx: WalkerContext, method: 'POST' | 'PUT') => {
  const def = exampleDefinition();
  def.trigger.settings = { ...def.trigger.settings, methods: [method] };
  return publishedFlow(ctx.t, ctx.owner.key, def);
};

const PUBLIC = "public: webhook triggers authenticate by the flow's trigger settings, not by credentials";

// Webhook runs are data-plane traffic kept in run history, not audit entries (see run.started in the catalogue):
// a successful trigger writes nothing.
export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /hooks/:flowId',
    noDenial: PUBLIC,
    prepare: (ctx) => hookFor(ctx, 'POST'),
    call: (ctx, flowId: string) => ctx.t.http().post(`/hooks/${flowId}`).send({ a: 1, b: 2 }),
    expect: () => [],
  },
  {
    route: 'PUT /hooks/:flowId',
    noDenial: PUBLIC,
    prepare: (ctx) => hookFor(ctx, 'PUT'),
    call: (ctx, flowId: string) => ctx.t.http().put(`/hooks/${flowId}`).send({ a: 1, b: 2 }),
    expect: () => [],
  },
];
