import { afterAll, describe, expect, it } from 'vitest';
import type { FlowDefinition } from '../../definition/flow-definition.js';
import { ExecutionHooks } from '../execution-hooks.js';
import { FlowEngine } from '../flow-engine.js';
import { SandboxPool } from '../../../sandbox/index.js';
import { SandboxPoolAdapter } from '../sandbox-pool.adapter.js';
import type { NodeExecutor } from '../nodes/node-executor.js';
import { NodeTypes, type NodeTypeDefinition } from '../nodes/node-types.js';
import { StepFailure } from '../run-errors.js';
import { engineRun, flow } from './support.js';

const sandbox = new SandboxPoolAdapter(new SandboxPool({ timeoutMs: 300, memoryLimitMb: 32, hostProcesses: 1 }));
const engine = new FlowEngine({ sandbox });
afterAll(() => sandbox.close());

/** Built-in node types plus test ones (schema and executor registered together). */
function typesWith(
  ...defs: (Partial<NodeTypeDefinition> & Pick<NodeTypeDefinition, 'type' | 'executor'>)[]
): NodeTypes {
  const types = new NodeTypes();
  for (const d of defs)
    types.register({ title: d.type, description: 'test type', params: { kind: 'object', properties: {} }, ...d });
  return types;
}

const API_EXAMPLE = flow([
  { id: 'sum', type: 'transform', params: { fields: { total: '{{ trigger.body.a + trigger.body.b }}' } } },
  { id: 'double', type: 'code', params: { code: 'return { doubled: input.total * 2 };' } },
  { id: 'reply', type: 'respond', params: { status: 200, body: '{{ nodes.double.output }}' } },
]);

describe('FlowEngine: graph, expressions, node types', () => {
  it('runs the API.md example and records every step', async () => {
    let answered: unknown;
    const out = await engine.execute(engineRun(API_EXAMPLE, { onRespond: (r) => (answered = r) }));
    expect(out.status).toBe('succeeded');
    expect(out.output).toEqual({ doubled: 10 });
    expect(answered).toEqual({ status: 200, headers: {}, body: { doubled: 10 } });
    expect(out.steps.map((s) => [s.nodeId, s.attempt, s.status])).toEqual([
      ['sum', 1, 'succeeded'],
      ['double', 1, 'succeeded'],
      ['reply', 1, 'succeeded'],
    ]);
    expect(out.steps[0].output).toEqual({ total: 5 });
    expect(out.steps[0].startedAt).toBeInstanceOf(Date);
  });

  it('keeps the JSON type of a lone expression and makes strings of mixed text', async () => {
    const def = flow([
      {
        id: 't',
        type: 'transform',
        params: {
          fields: {
            n: '{{ trigger.body.a }}',
            s: 'a={{ trigger.body.a }}!',
            o: '{{ trigger.body }}',
            lit: 'plain',
            nested: ['{{ trigger.body.b * 2 }}'],
          },
        },
      },
    ]);
    const out = await engine.execute(engineRun(def));
    expect(out.output).toEqual({ n: 2, s: 'a=2!', o: { a: 2, b: 3 }, lit: 'plain', nested: [6] });
  });

  it('never evaluates {{ }} found in data a second time', async () => {
    const body = { a: '{{ 1 + 1 }}', b: "{{ (() => { throw new Error('ran') })() }}" };
    const def = flow([
      {
        id: 't',
        type: 'transform',
        params: {
          fields: { a: '{{ trigger.body.a }}', b: 'x {{ trigger.body.b }}', c: '{{ String(trigger.body.a) }}' },
        },
      },
      { id: 'c', type: 'code', params: { code: 'return { echoed: input.a, made: "{{ 6 * 7 }}" };' } },
      {
        id: 'r',
        type: 'respond',
        params: { body: { first: '{{ nodes.c.output.echoed }}', made: '{{ input.made }}' } },
      },
    ]);
    const out = await engine.execute(
      engineRun(def, { trigger: { type: 'webhook', body, headers: {}, query: {}, method: 'POST' } }),
    );
    expect(out.status).toBe('succeeded');
    expect(out.steps[0].output).toEqual({ a: '{{ 1 + 1 }}', b: `x ${body.b}`, c: '{{ 1 + 1 }}' });
    expect(out.output).toEqual({ first: '{{ 1 + 1 }}', made: '{{ 6 * 7 }}' });
  });

  it('branches on the first true condition, else the default handle', async () => {
    const def = (_a: number): FlowDefinition => ({
      ...flow([]),
      nodes: [
        {
          id: 'b',
          type: 'branch',
          params: { conditions: [{ when: '{{ trigger.body.a > 10 }}', handle: 'big' }], default: 'small' },
        },
        { id: 'big', type: 'transform', params: { fields: { size: 'big' } } },
        { id: 'small', type: 'transform', params: { fields: { size: 'small', seen: '{{ input.body.a }}' } } },
      ],
      edges: [
        { from: 'trigger', to: 'b' },
        { from: 'b', to: 'big', handle: 'big' },
        { from: 'b', to: 'small', handle: 'small' },
      ],
    });
    const big = await engine.execute(
      engineRun(def(50), { trigger: { type: 'webhook', body: { a: 50 }, headers: {}, query: {}, method: 'POST' } }),
    );
    expect(big.output).toEqual({ size: 'big' });
    expect(big.steps.map((s) => s.nodeId)).toEqual(['b', 'big']);
    const small = await engine.execute(
      engineRun(def(1), { trigger: { type: 'webhook', body: { a: 1 }, headers: {}, query: {}, method: 'POST' } }),
    );
    expect(small.output).toEqual({ size: 'small', seen: 1 });
  });

  it('a flow whose expressions stay in the host subset never calls the sandbox; one outside it does', async () => {
    const calls: string[] = [];
    const refusing = {
      evaluateAll: async (_org: string, expressions: string[]) => {
        calls.push(...expressions);
        throw new StepFailure('node_error', 'no sandbox here');
      },
      runCode: async () => {
        calls.push('code');
        throw new StepFailure('node_error', 'no sandbox here');
      },
      close: async () => undefined,
    };
    const e = new FlowEngine({ sandbox: refusing });
    const def = (label: string): FlowDefinition => ({
      ...flow([]),
      nodes: [
        {
          id: 'b',
          type: 'branch',
          params: {
            conditions: [{ when: '{{ trigger.body.a > 1 && trigger.body.b !== null }}', handle: 'yes' }],
            default: 'no',
          },
        },
        {
          id: 'yes',
          type: 'transform',
          params: { fields: { total: '{{ (trigger.body.a + trigger.body.b) * 2 }}', label } },
        },
        { id: 'no', type: 'transform', params: { fields: { total: 0 } } },
      ],
      edges: [
        { from: 'trigger', to: 'b' },
        { from: 'b', to: 'yes', handle: 'yes' },
        { from: 'b', to: 'no', handle: 'no' },
      ],
    });
    const hostOnly = await e.execute(engineRun(def('sum {{ trigger.body.a }}+{{ trigger.body.b }}')));
    expect(hostOnly.status).toBe('succeeded');
    expect(hostOnly.output).toEqual({ total: 10, label: 'sum 2+3' });
    expect(calls).toEqual([]);
    const needsSandbox = await e.execute(engineRun(def('{{ String(trigger.body.a) }}')));
    expect(needsSandbox.status).toBe('failed');
    expect(calls).toEqual(['String(trigger.body.a)']);
  });

  it('loops over items (body once per item, `done` afterwards) and refuses more items than max', async () => {
    const def = (max: number): FlowDefinition => ({
      ...flow([]),
      nodes: [
        { id: 'each', type: 'loop', params: { items: '{{ trigger.body.list }}', max } },
        { id: 'sq', type: 'code', params: { code: 'return { v: input * input };' } },
        { id: 'sum', type: 'code', params: { code: 'return input.reduce((a, r) => a + r.v, 0);' } },
      ],
      edges: [
        { from: 'trigger', to: 'each' },
        { from: 'each', to: 'sq', handle: 'each' },
        { from: 'each', to: 'sum', handle: 'done' },
      ],
    });
    const trigger = { type: 'webhook' as const, body: { list: [1, 2, 3] }, headers: {}, query: {}, method: 'POST' };
    const ok = await engine.execute(engineRun(def(10), { trigger }));
    expect(ok.status).toBe('succeeded');
    expect(ok.output).toBe(14);
    expect(ok.steps.filter((s) => s.nodeId === 'sq').map((s) => s.iteration)).toEqual([0, 1, 2]);
    const backEdge = def(10);
    backEdge.edges.push({ from: 'sq', to: 'each' });
    const again = await engine.execute(engineRun(backEdge, { trigger }));
    expect(again.status).toBe('succeeded');
    expect(again.output).toBe(14);
    const over = await engine.execute(engineRun(def(2), { trigger }));
    expect(over.status).toBe('failed');
    expect(over.error).toMatchObject({ type: 'limit', nodeId: 'each' });
  });
});

describe('FlowEngine: node types own their behaviour', () => {
  it('follows the output a registered type chooses and iterates over a registered body output, by the type, not its name', async () => {
    const types = typesWith(
      {
        type: 'test.coin',
        outputs: ['heads', 'tails'],
        executor: {
          execute: async (_p, ctx) => ({
            output: ctx.scope.input,
            handle: (ctx.scope.input as { n: number }).n % 2 ? 'tails' : 'heads',
          }),
        },
      },
      {
        type: 'test.repeat',
        outputs: ['body', 'after'],
        bodyOutput: 'body',
        closesCycles: true,
        executor: { execute: async () => ({ output: [{ n: 1 }, { n: 2 }, { n: 3 }] }) },
      },
    );
    const e = new FlowEngine({ sandbox, nodeTypes: types });
    const def: FlowDefinition = {
      ...flow([]),
      nodes: [
        { id: 'rep', type: 'test.repeat' },
        { id: 'coin', type: 'test.coin' },
        { id: 'h', type: 'transform', params: { fields: { side: 'heads', n: '{{ input.n }}' } } },
        { id: 't', type: 'transform', params: { fields: { side: 'tails', n: '{{ input.n }}' } } },
        { id: 'end', type: 'transform', params: { fields: { results: '{{ input }}' } } },
      ],
      edges: [
        { from: 'trigger', to: 'rep' },
        { from: 'rep', to: 'coin', handle: 'body' },
        { from: 'rep', to: 'end', handle: 'after' },
        { from: 'coin', to: 'h', handle: 'heads' },
        { from: 'coin', to: 't', handle: 'tails' },
      ],
    };
    const out = await e.execute(engineRun(def));
    expect(out.status).toBe('succeeded');
    expect(out.steps.filter((s) => s.nodeId === 'h' || s.nodeId === 't').map((s) => [s.nodeId, s.iteration])).toEqual([
      ['t', 0],
      ['h', 1],
      ['t', 2],
    ]);
    expect(out.output).toEqual({
      results: [
        { side: 'tails', n: 1 },
        { side: 'heads', n: 2 },
        { side: 'tails', n: 3 },
      ],
    });
  });

  it('runs the built-in loop through its bodyOutput, a back edge closing the iteration', async () => {
    const def: FlowDefinition = {
      ...flow([]),
      nodes: [
        { id: 'each', type: 'loop', params: { items: '{{ trigger.body.list }}' } },
        { id: 'dbl', type: 'transform', params: { fields: { v: '{{ input * 2 }}' } } },
        { id: 'all', type: 'transform', params: { fields: { results: '{{ input }}' } } },
      ],
      edges: [
        { from: 'trigger', to: 'each' },
        { from: 'each', to: 'dbl', handle: 'each' },
        { from: 'dbl', to: 'each' },
        { from: 'each', to: 'all', handle: 'done' },
      ],
    };
    const out = await engine.execute(
      engineRun(def, {
        trigger: { type: 'webhook', body: { list: [1, 2, 3] }, headers: {}, query: {}, method: 'POST' },
      }),
    );
    expect(out.status).toBe('succeeded');
    expect(out.output).toEqual({ results: [{ v: 2 }, { v: 4 }, { v: 6 }] });
    expect(out.steps.filter((s) => s.nodeId === 'dbl').map((s) => s.iteration)).toEqual([0, 1, 2]);
  });

  it('refuses a registration that would break the engine, and a taken name', () => {
    const executor = { execute: async () => ({ output: null }) };
    expect(() => typesWith({ type: 'test.cycle', closesCycles: true, executor })).toThrow(/bodyOutput/);
    expect(() => typesWith({ type: 'test.body', outputs: ['a'], bodyOutput: 'b', executor })).toThrow(/bodyOutput/);
    expect(() => typesWith({ type: 'loop', executor })).toThrow(/already registered/);
    expect(() => typesWith({ type: 'test.none' } as NodeTypeDefinition)).toThrow(/executor/);
  });
});

describe('FlowEngine: retries, timeouts, limits, cancellation, hooks', () => {
  const flaky = (failures: number): NodeExecutor & { calls: number } => {
    const ex = {
      calls: 0,
      async execute() {
        ex.calls += 1;
        if (ex.calls <= failures) throw new StepFailure('node_error', `attempt ${ex.calls} failed`, true);
        return { output: { calls: ex.calls } };
      },
    };
    return ex;
  };
  const slow: NodeExecutor = {
    execute: (_p, ctx) =>
      new Promise((resolve) => {
        const t = setTimeout(() => resolve({ output: 1 }), 10_000);
        ctx.signal.addEventListener('abort', () => clearTimeout(t));
      }),
  };

  it('retries with backoff and records every attempt', async () => {
    const ex = flaky(2);
    const e = new FlowEngine({ sandbox, nodeTypes: typesWith({ type: 'flaky', executor: ex }) });
    const started = Date.now();
    const out = await e.execute(engineRun(flow([{ id: 'f', type: 'flaky', retry: { maxAttempts: 3, delayMs: 40 } }])));
    expect(out.status).toBe('succeeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40 + 80 - 5);
    expect(out.steps.map((s) => [s.attempt, s.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    expect(out.steps[0].error).toEqual({ type: 'node_error', message: 'attempt 1 failed' });
    const gaveUp = await new FlowEngine({
      sandbox,
      nodeTypes: typesWith({ type: 'flaky', executor: flaky(5) }),
    }).execute(engineRun(flow([{ id: 'f', type: 'flaky', retry: { maxAttempts: 2, delayMs: 1 } }])));
    expect(gaveUp.status).toBe('failed');
    expect(gaveUp.steps).toHaveLength(2);
  });

  it('goes on after a failed node with onError: continue', async () => {
    const def = flow([
      { id: 'bad', type: 'code', onError: 'continue', params: { code: 'throw new Error("nope")' } },
      { id: 'after', type: 'transform', params: { fields: { saw: '{{ input.error.type }}' } } },
    ]);
    const out = await engine.execute(engineRun(def));
    expect(out.status).toBe('succeeded');
    expect(out.output).toEqual({ saw: 'user_error' });
  });

  it('times a node out, and a run past its maximum duration ends timed_out', async () => {
    const e = new FlowEngine({ sandbox, nodeTypes: typesWith({ type: 'slow', executor: slow }) });
    const node = await e.execute(engineRun(flow([{ id: 's', type: 'slow', params: { timeoutMs: 50 } }])));
    expect(node.status).toBe('failed');
    expect(node.error).toMatchObject({ type: 'timeout', nodeId: 's' });
    const run = await e.execute(engineRun(flow([{ id: 's', type: 'slow' }]), { limits: { maxDurationMs: 80 } }));
    expect(run.status).toBe('timed_out');
    expect(run.error?.type).toBe('timeout');
  });

  it('is cancelled by its signal, and stops at the step limit', async () => {
    const ac = new AbortController();
    const e = new FlowEngine({ sandbox, nodeTypes: typesWith({ type: 'slow', executor: slow }) });
    setTimeout(() => ac.abort(), 50);
    const cancelled = await e.execute(engineRun(flow([{ id: 's', type: 'slow' }]), { signal: ac.signal }));
    expect(cancelled.status).toBe('cancelled');
    const nodes = Array.from({ length: 5 }, (_, i) => ({ id: `n${i}`, type: 'transform', params: { fields: { i } } }));
    const limited = await e.execute(engineRun(flow(nodes), { limits: { maxSteps: 3 } }));
    expect(limited.status).toBe('failed');
    expect(limited.error).toMatchObject({ type: 'limit', nodeId: 'n3' });
    expect(limited.steps).toHaveLength(3);
  });

  it('calls beforeNodeExecute before every node; a throwing hook refuses the node', async () => {
    const hooks = new ExecutionHooks();
    const seen: string[] = [];
    hooks.registerBeforeNodeExecute('test', async (ev) => {
      seen.push(`${ev.nodeId}:${ev.attempt}`);
      if (ev.nodeType === 'code') throw new Error('code nodes are disabled by policy');
    });
    const out = await new FlowEngine({ sandbox, hooks }).execute(engineRun(API_EXAMPLE));
    expect(seen).toEqual(['sum:1', 'double:1']);
    expect(out.status).toBe('failed');
    expect(out.error).toMatchObject({
      type: 'plugin_error',
      nodeId: 'double',
      message: expect.stringContaining('disabled by policy'),
    });
  });

  it('types hostile code failures on the run', async () => {
    // The memory bomb gets a long clock and a small heap, so only the heap can stop it (a 300 ms budget that also
    // covers context creation would let a loaded machine answer "timeout").
    const bombSandbox = new SandboxPoolAdapter(
      new SandboxPool({ timeoutMs: 60_000, memoryLimitMb: 32, hostProcesses: 1 }),
    );
    try {
      const cases = [
        ['while (true) {}', 'timeout', engine],
        ['throw new Error("x")', 'user_error', engine],
        [
          'const a = []; for (;;) a.push(new Array(1e6).fill(Math.random()));',
          'memory',
          new FlowEngine({ sandbox: bombSandbox }),
        ],
      ] as const;
      for (const [code, type, e] of cases) {
        const out = await e.execute(engineRun(flow([{ id: 'c', type: 'code', params: { code } }])));
        expect(out.status).toBe('failed');
        expect(out.error).toMatchObject({ type, nodeId: 'c' });
      }
    } finally {
      await bombSandbox.close();
    }
  });
});

describe('FlowEngine: secrets and stored outputs', () => {
  const SECRET = 'sk_live_0123456789abcdef';
  const secrets = { resolve: async () => SECRET };

  it('redacts resolved secret values from step outputs, errors and the output', async () => {
    const e = new FlowEngine({ sandbox, secrets });
    const def = flow([
      {
        id: 't',
        type: 'transform',
        params: { fields: { auth: 'Bearer {{ secrets.vault.kv/stripe#api_key }}', other: 'x' } },
      },
      { id: 'c', type: 'code', params: { code: 'return { upper: input.auth.toUpperCase(), same: input.auth };' } },
    ]);
    const out = await e.execute(engineRun(def));
    expect(out.status).toBe('succeeded');
    expect(JSON.stringify(out.steps)).not.toContain(SECRET);
    expect(out.steps[0].output).toEqual({ auth: 'Bearer [redacted]', other: 'x' });
    expect(out.output).toMatchObject({ same: 'Bearer [redacted]' });
    const leak = await e.execute(
      engineRun(
        flow([
          { id: 't', type: 'transform', params: { fields: { k: '{{ secrets.vault.kv/stripe#api_key }}' } } },
          { id: 'c', type: 'code', params: { code: 'throw new Error("key is " + input.k)' } },
        ]),
      ),
    );
    expect(leak.error?.message).toContain('[redacted]');
    expect(JSON.stringify(leak)).not.toContain(SECRET);
  });

  it('refuses secret references when no provider is configured', async () => {
    const out = await engine.execute(
      engineRun(flow([{ id: 't', type: 'transform', params: { fields: { k: '{{ secrets.vault.kv/x#y }}' } } }])),
    );
    expect(out.status).toBe('failed');
    expect(out.error?.message).toContain('not configured');
  });

  it('stores outputs larger than the configured size as a truncated preview', async () => {
    const def = flow([{ id: 'c', type: 'code', params: { code: 'return "z".repeat(5000);' } }]);
    const out = await engine.execute(engineRun(def, { limits: { stepOutputMaxBytes: 1024 } }));
    expect(out.steps[0].output).toMatchObject({ truncated: true, bytes: 5002 });
    expect(JSON.stringify(out.steps[0].output).length).toBeLessThan(1100);
  });
});
