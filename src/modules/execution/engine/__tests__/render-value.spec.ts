import { afterAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../../sandbox/index.js';
import { renderValue, type RenderEnv } from '../params.js';
import { StepFailure } from '../run-errors.js';
import { SandboxPoolAdapter } from '../sandbox-pool.adapter.js';
import type { SandboxScope } from '../sandbox.port.js';
import type { SecretRef } from '../template.js';

/** Rendering node parameters the way a run does (the template typing rules the sandbox's renderTemplate had). */
const adapter = new SandboxPoolAdapter(new SandboxPool({ timeoutMs: 500, hostProcesses: 1 }));
afterAll(() => adapter.close());

const scope: SandboxScope = {
  trigger: { body: { a: 2, b: 3, name: 'Ada' } },
  nodes: { fetch: { output: { items: [1, 2, 3], label: '{{ trigger.body.a }}' } } },
  input: { total: 42, text: '{{ process.exit() }}', flag: true, missing: null },
};

const sandboxCalls: string[][] = [];
const resolved: SecretRef[] = [];
const env: RenderEnv = {
  orgId: '00000000-0000-7000-8000-0000000000e1',
  sandbox: {
    evaluateAll: (orgId, expressions, s, _limits) => (
      sandboxCalls.push(expressions),
      adapter.evaluateAll(orgId, expressions, s)
    ),
    runCode: (orgId, code, s, _limits) => adapter.runCode(orgId, code, s),
  },
  limits: { timeoutMs: 500, memoryMb: 32 },
  secrets: { resolve: async (ref) => (resolved.push(ref), `value-of-${ref.path}${ref.key ? `#${ref.key}` : ''}`) },
};
const render = (value: unknown) => renderValue(value, scope, env);

describe('renderValue: typing rules', () => {
  it.each<[string, unknown]>([
    ['{{ input.total }}', 42],
    ['{{ input.flag }}', true],
    ['{{ input.missing }}', null],
    ['{{ nodes.fetch.output.items }}', [1, 2, 3]],
    ['{{ { sum: trigger.body.a + trigger.body.b } }}', { sum: 5 }],
    ['{{ {a: {b: 1}} }}', { a: { b: 1 } }],
    ['{{ "}}" }}', '}}'],
    ['{{ trigger.body.name }}', 'Ada'],
  ])('keeps the JSON type of exactly one expression: %s', async (template, expected) => {
    expect(await render(template)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['Total: {{ input.total }} EUR', 'Total: 42 EUR'],
    ['{{ trigger.body.a }}{{ trigger.body.b }}', '23'],
    [' {{ input.total }}', ' 42'],
    ['items={{ nodes.fetch.output.items }}', 'items=[1,2,3]'],
    ['obj={{ ({ a: 1 }) }}', 'obj={"a":1}'],
    ['q={{ \'}}\' + "}}" }}!', 'q=}}}}!'],
    ['[{{ input.missing }}|{{ input.nothing }}]', '[|]'],
    ['no expressions at all', 'no expressions at all'],
    ['unterminated {{ input.total', 'unterminated {{ input.total'],
    ['{{ input.total }}}', '42}'],
  ])('makes a string of anything else: %s', async (template, expected) => {
    expect(await render(template)).toEqual(expected);
  });

  it('walks objects and arrays and leaves other leaves alone; keys are not templated', async () => {
    const params = {
      url: 'https://api.example.com/{{ trigger.body.name }}',
      body: { count: '{{ nodes.fetch.output.items.length }}', tags: ['{{ input.flag }}', 'static', 7, null] },
      '{{ keys are not templated }}': false,
    };
    expect(await render(params)).toEqual({
      url: 'https://api.example.com/Ada',
      body: { count: 3, tags: [true, 'static', 7, null] },
      '{{ keys are not templated }}': false,
    });
  });

  it("gives a host-decided object as a copy of the scope's own (a node changing its input changes nothing else)", async () => {
    const items = (await render('{{ nodes.fetch.output.items }}')) as number[];
    expect(items).toEqual([1, 2, 3]);
    expect(items).not.toBe((scope.nodes as { fetch: { output: { items: number[] } } }).fetch.output.items);
    items.push(4);
    expect(await render('{{ nodes.fetch.output.items }}')).toEqual([1, 2, 3]);
  });

  it('never evaluates {{ }} that comes from data', async () => {
    const tree = {
      whole: '{{ input.text }}',
      mixed: 'say {{ input.text }}',
      label: '{{ nodes.fetch.output.label }}',
      viaSandbox: '{{ String(input.text) }}',
    };
    expect(await render(tree)).toEqual({
      whole: '{{ process.exit() }}',
      mixed: 'say {{ process.exit() }}',
      label: '{{ trigger.body.a }}',
      viaSandbox: '{{ process.exit() }}',
    });
  });
});

describe('renderValue: batching, secrets and failures', () => {
  it('sends all sandbox expressions of a parameter tree in one call, and none for a tree the host decides', async () => {
    sandboxCalls.length = 0;
    const tree = {
      a: '{{ Math.abs(-1) }}',
      b: ['{{ 2 }}', 'x{{ String(3) }}y{{ [4].at(0) }}'],
      c: { d: '{{ input.total }}' },
    };
    expect(await render(tree)).toEqual({ a: 1, b: [2, 'x3y4'], c: { d: 42 } });
    expect(sandboxCalls).toEqual([['Math.abs(-1)', 'String(3)', '[4].at(0)']]);
    expect(await render({ a: 'plain', b: [1, '{{ input.total + 1 }}'] })).toEqual({ a: 'plain', b: [1, 43] });
    expect(sandboxCalls).toHaveLength(1);
  });

  it('resolves secret references with and without #key through the resolver, never the sandbox', async () => {
    sandboxCalls.length = 0;
    resolved.length = 0;
    const out = await render({ k: '{{ secrets.vault.kv/stripe#api_key }}', whole: 'Bearer {{secrets.aws.prod.db}}' });
    expect(out).toEqual({ k: 'value-of-kv/stripe#api_key', whole: 'Bearer value-of-prod.db' });
    expect(resolved).toEqual([
      { provider: 'vault', path: 'kv/stripe', key: 'api_key' },
      { provider: 'aws', path: 'prod.db' },
    ]);
    expect(sandboxCalls).toEqual([]);
  });

  it.each([
    '{{ secrets.vault }}',
    '{{ secrets.vault.kv/../x#k }}',
    '{{ secrets["vault"] }}',
    'x {{ secrets.vault.a# }}',
  ])('fails the node on a malformed secret reference, without a sandbox call: %s', async (template) => {
    sandboxCalls.length = 0;
    const err = await render(template).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as StepFailure).message).toMatch(/Malformed secret reference/);
    expect(sandboxCalls).toEqual([]);
  });

  it('names the expression that threw', async () => {
    const err = await render({ ok: '{{ Math.abs(1) }}', bad: 'x {{ input.nope.deeper }}' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      type: 'user_error',
      message:
        "Expression in params failed: In {{ input.nope.deeper }}: TypeError: Cannot read properties of undefined (reading 'deeper')",
    });
  });
});
