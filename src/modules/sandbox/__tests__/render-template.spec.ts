import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, renderTemplate, SandboxPool } from '../index.js';
import { expectFailure, RunLog } from './sandbox-test-kit.js';

const ORG = 'org-expressions';
const TIMEOUT_MS = 500;
const BOMB_MEMORY_MB = 16;
const BOMB_TIMEOUT_MS = 3000;

const context = {
  trigger: { body: { a: 2, b: 3, name: 'Ada' } },
  nodes: { fetch: { output: { items: [1, 2, 3], label: '{{ trigger.body.a }}' } } },
  input: { total: 42, text: '{{ process.exit() }}', flag: true, missing: null },
};

const log = new RunLog();
let pool: SandboxPool;
let bombPool: SandboxPool;

const render = (value: JsonValue, p = pool) => renderTemplate(p, ORG, value, context);

async function expectNextRenderWorks(p: SandboxPool): Promise<void> {
  expect(await render('{{ input.total + 1 }}', p)).toEqual({ ok: true, value: 43, console: [] });
}

beforeAll(async () => {
  pool = new SandboxPool({ timeoutMs: TIMEOUT_MS, onRun: log.onRun });
  bombPool = new SandboxPool({ timeoutMs: BOMB_TIMEOUT_MS, memoryLimitMb: BOMB_MEMORY_MB });
  await Promise.all([expectNextRenderWorks(pool), expectNextRenderWorks(bombPool)]);
});

afterAll(async () => {
  await Promise.all([pool.close(), bombPool.close()]);
});

describe('typing rules', () => {
  it.each<[string, JsonValue]>([
    ['{{ input.total }}', 42],
    ['{{ input.flag }}', true],
    ['{{ input.missing }}', null],
    ['{{ input.nothing }}', null],
    ['{{ nodes.fetch.output.items }}', [1, 2, 3]],
    ['{{ { sum: trigger.body.a + trigger.body.b } }}', { sum: 5 }],
    ['{{ trigger.body.name }}', 'Ada'],
  ])('keeps the JSON type of exactly one expression: %s', async (template, expected) => {
    expect(await render(template)).toEqual({ ok: true, value: expected, console: [] });
  });

  it.each<[string, string]>([
    ['Total: {{ input.total }} EUR', 'Total: 42 EUR'],
    ['{{ trigger.body.a }}{{ trigger.body.b }}', '23'],
    [' {{ input.total }}', ' 42'],
    ['items={{ nodes.fetch.output.items }}', 'items=[1,2,3]'],
    ['obj={{ ({ a: 1 }) }}', 'obj={"a":1}'],
    ['[{{ input.missing }}|{{ input.nothing }}]', '[|]'],
    ['no expressions at all', 'no expressions at all'],
    ['unterminated {{ input.total', 'unterminated {{ input.total'],
  ])('makes a string of anything else: %s', async (template, expected) => {
    expect(await render(template)).toEqual({ ok: true, value: expected, console: [] });
  });

  it('walks objects and arrays and leaves other leaves alone', async () => {
    const params = {
      url: 'https://api.example.com/{{ trigger.body.name }}',
      body: { count: '{{ nodes.fetch.output.items.length }}', tags: ['{{ input.flag }}', 'static', 7, null] },
      '{{ keys are not templated }}': false,
    };
    expect(await render(params)).toEqual({
      ok: true,
      value: {
        url: 'https://api.example.com/Ada',
        body: { count: 3, tags: [true, 'static', 7, null] },
        '{{ keys are not templated }}': false,
      },
      console: [],
    });
  });

  it('never evaluates {{ }} that comes from data', async () => {
    const tree = { whole: '{{ input.text }}', mixed: 'say {{ input.text }}', label: '{{ nodes.fetch.output.label }}' };
    const result = await render(tree);
    expect(result).toEqual({
      ok: true,
      value: { whole: '{{ process.exit() }}', mixed: 'say {{ process.exit() }}', label: '{{ trigger.body.a }}' },
      console: [],
    });
  });
});

describe('batching', () => {
  it('evaluates all expressions of a parameter tree in one sandbox call', async () => {
    const before = log.runs.length;
    const tree = { a: '{{ 1 }}', b: ['{{ 2 }}', 'x{{ 3 }}y{{ 4 }}'], c: { d: '{{ 5 }}' } };
    expect(await render(tree)).toMatchObject({ ok: true, value: { a: 1, b: [2, 'x3y4'], c: { d: 5 } } });
    expect(log.runs.length - before).toBe(1);
  });

  it('makes no sandbox call for a tree without expressions', async () => {
    const before = log.runs.length;
    const tree = { a: 'plain', b: [1, 2] };
    expect(await render(tree)).toEqual({ ok: true, value: tree, console: [] });
    expect(log.runs.length).toBe(before);
  });

  it('evaluates expressions one at a time through evaluate()', async () => {
    const result = await pool.evaluate({ orgId: ORG, expression: 'trigger.body.a * input.total', context });
    expect(result).toEqual({ ok: true, value: 84, console: [] });
  });
});

describe('failures', () => {
  it('names the expression that threw', async () => {
    const tree = { ok: '{{ 1 }}', bad: 'x {{ input.nope.deeper }}' };
    const { message } = await expectFailure(() => render(tree), 'user_error', TIMEOUT_MS);
    expect(message).toBe(
      "In {{ input.nope.deeper }}: TypeError: Cannot read properties of undefined (reading 'deeper')",
    );
  });

  it('names the expression with a syntax error, even in a batch', async () => {
    const tree = ['{{ 1 }}', '{{ 1 + }}', '{{ 3 }}'];
    const { message } = await expectFailure(() => render(tree), 'user_error', TIMEOUT_MS);
    expect(message).toMatch(/^In \{\{ 1 \+ \}\}: SyntaxError: /);
  });

  it('refuses an expression that returns a promise', async () => {
    const { message } = await expectFailure(() => render('{{ new Promise(() => {}) }}'), 'user_error', TIMEOUT_MS);
    expect(message).toContain('Expressions must be synchronous');
  });

  it.each([
    ['an infinite loop', '{{ (() => { while (true) {} })() }}'],
    ['a looping getter on the result', '{{ ({ get x() { for (;;) {} } }) }}'],
    ['a loop scheduled before returning', '{{ (async () => { for (;;) await null; })() && 1 }}'],
  ])('stops %s with a timeout', async (_name, template) => {
    await expectFailure(() => render(template), 'timeout', TIMEOUT_MS);
    await expectNextRenderWorks(pool);
  });

  it.each([
    ['an array bomb', '{{ (() => { const a = []; for (;;) a.push([a.length]); })() }}'],
    ['a string bomb', "{{ (() => { const a = []; for (let i = 0; ; i++) a.push('z'.repeat(1e6) + i); })() }}"],
    ['an ArrayBuffer bomb', '{{ (() => { const a = []; for (;;) a.push(new ArrayBuffer(2 ** 24)); })() }}'],
    ['a Map bomb', "{{ (() => { const m = new Map(); for (let i = 0; ; i++) m.set('k' + i, i); })() }}"],
  ])('stops %s with a memory error', async (_name, template) => {
    await expectFailure(() => render(template, bombPool), 'memory', BOMB_TIMEOUT_MS);
    await expectNextRenderWorks(bombPool);
  });

  it.each([
    ['process', '{{ process.env }}'],
    ['require', "{{ require('child_process') }}"],
    ['the Function constructor', "{{ this.constructor.constructor('return process')() }}"],
    ['a prototype of the data', "{{ input.constructor.constructor('return process')() }}"],
    ['deep recursion', '{{ (function f() { return f(); })() }}'],
  ])('refuses %s with a user error', async (_name, template) => {
    await expectFailure(() => render(template), 'user_error', TIMEOUT_MS);
    await expectNextRenderWorks(pool);
  });

  it('refuses dynamic import (it can only ever yield a promise)', async () => {
    await expectFailure(() => render("{{ import('node:fs') }}"), 'user_error', TIMEOUT_MS);
  });

  it('starts every evaluation from a fresh context', async () => {
    await render("{{ (globalThis.leak = 'yes', Object.prototype.polluted = 1, 1) }}");
    expect(await render('{{ [typeof leak, ({}).polluted ?? "clean"] }}')).toMatchObject({
      ok: true,
      value: ['undefined', 'clean'],
    });
  });
});
