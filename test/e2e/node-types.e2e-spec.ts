import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeTypes, type NodeTypeDefinition } from '../../src/modules/execution/index.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { createFlow, createProject, saveDraft } from '../utils/flow-helpers.js';
import { publishedFlow } from '../utils/run-helpers.js';

/**
 * A node type registered from outside the flows and execution modules (as a plugin will), through the execution
 * module's public API: schema and executor together. Publishing validates against its schema and a run executes it.
 */
const greet: NodeTypeDefinition = {
  type: 'test.greet',
  title: 'Greet',
  description: 'Greets someone, formally or not; follows the output named after the register.',
  params: {
    kind: 'object',
    required: ['name'],
    properties: { name: { kind: 'string', minLength: 1, maxLength: 64 }, formal: { kind: 'boolean' } },
  },
  outputs: ['formal', 'casual'],
  executor: {
    async execute(params) {
      const formal = params.formal === true;
      return {
        output: { greeting: `${formal ? 'Good day' : 'Hi'}, ${String(params.name)}` },
        handle: formal ? 'formal' : 'casual',
      };
    },
  },
};

describe('node types: registered with schema and executor, published and run through the API', () => {
  let t: TestApp;
  let a: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    t.server.app.get(NodeTypes).register(greet);
  });
  afterAll(() => t.close());

  const definition = (params: Record<string, unknown>) => ({
    schemaVersion: 1,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'hello', type: 'test.greet', params },
      { id: 'bow', type: 'transform', params: { fields: { said: '{{ input.greeting }}', style: 'formal' } } },
      { id: 'wave', type: 'transform', params: { fields: { said: '{{ input.greeting }}', style: 'casual' } } },
    ],
    edges: [
      { from: 'trigger', to: 'hello' },
      { from: 'hello', to: 'bow', handle: 'formal' },
      { from: 'hello', to: 'wave', handle: 'casual' },
    ],
  });

  it('validates a draft against the registered schema and outputs at publish', async () => {
    const projectId = await createProject(t, a.ownerKey);
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const wrongType = await saveDraft(t, a.ownerKey, flowId, definition({ name: 'Ada', formal: 'yes' }), 400);
    expect((wrongType.body.errors as { path: string }[]).map((e) => e.path)).toContain('$.nodes[0].params.formal');
    const badHandle = definition({ name: '{{ trigger.input.name }}' });
    badHandle.edges.push({ from: 'hello', to: 'wave', handle: 'shouting' });
    await saveDraft(t, a.ownerKey, flowId, badHandle);
    const res = await t.http().post(`/api/v1/flows/${flowId}/publish`).set(bearer(a.ownerKey)).send({}).expect(422);
    expect(res.body.errors).toContainEqual({
      path: '$.edges[3].handle',
      message: expect.stringMatching(/not an output/),
    });
  });

  it('publishes a flow that uses the type and runs it, following the output the executor chose', async () => {
    const flowId = await publishedFlow(t, a.ownerKey, definition({ name: '{{ trigger.input.name }}', formal: true }));
    const run = await t
      .http()
      .post(`/api/v1/flows/${flowId}/runs`)
      .set(bearer(a.ownerKey))
      .send({ input: { name: 'Ada' }, wait: true })
      .expect(201);
    expect(run.body).toMatchObject({ status: 'succeeded', output: { said: 'Good day, Ada', style: 'formal' } });
    const detail = await t.http().get(`/api/v1/runs/${run.body.runId}`).set(bearer(a.ownerKey)).expect(200);
    expect(detail.body.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['hello', 'succeeded'],
      ['bow', 'succeeded'],
    ]);
  });

  it('refuses to register a type twice or over a built-in', () => {
    const types = t.server.app.get(NodeTypes);
    expect(() => types.register(greet)).toThrow(/already registered/);
    expect(() => types.register({ ...greet, type: 'code' })).toThrow(/already registered/);
  });
});
