import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, SandboxPool, type SandboxResult } from '../index.js';
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

/**
 * Expressions as the engine sends them (template parsing and rendering are the engine's, tested in
 * execution/engine/__tests__/render-value.spec.ts): the sources of `{{ }}` parts, many in one call.
 */
const evaluate = (expressions: string[], p = pool): Promise<SandboxResult<JsonValue[]>> =>
  p.evaluateAll({ orgId: ORG, expressions, context });
const evaluateOne = async (expression: string, p = pool): Promise<SandboxResult> => {
  const r = await evaluate([expression], p);
  return r.ok ? { ...r, value: r.value[0] ?? null } : r;
};

async function expectNextRenderWorks(p: SandboxPool): Promise<void> {
  expect(await evaluateOne('input.total + 1', p)).toEqual({ ok: true, value: 43, console: [] });
}

beforeAll(async () => {
  pool = new SandboxPool({ timeoutMs: TIMEOUT_MS, onRun: log.onRun });
  bombPool = new SandboxPool({ timeoutMs: BOMB_TIMEOUT_MS, memoryLimitMb: BOMB_MEMORY_MB });
  await Promise.all([expectNextRenderWorks(pool), expectNextRenderWorks(bombPool)]);
});

afterAll(async () => {
  await Promise.all([pool.close(), bombPool.close()]);
});

describe('values and batching', () => {
  it('evaluates many expressions in one sandbox call, values in order and JSON-typed', async () => {
    const before = log.runs.length;
    const result = await evaluate([
      'input.total',
      'input.flag',
      'input.missing',
      'input.nothing',
      'nodes.fetch.output.items',
      '{ sum: trigger.body.a + trigger.body.b }',
    ]);
    expect(result).toEqual({ ok: true, value: [42, true, null, null, [1, 2, 3], { sum: 5 }], console: [] });
    expect(log.runs.length - before).toBe(1);
  });

  it('returns data as data: a {{ }} in a value is a plain string', async () => {
    expect(await evaluate(['input.text', 'nodes.fetch.output.label'])).toEqual({
      ok: true,
      value: ['{{ process.exit() }}', '{{ trigger.body.a }}'],
      console: [],
    });
  });

  it('makes no sandbox call for no expressions', async () => {
    const before = log.runs.length;
    expect(await evaluate([])).toEqual({ ok: true, value: [], console: [] });
    expect(log.runs.length).toBe(before);
  });

  it('evaluates expressions one at a time through evaluate()', async () => {
    const result = await pool.evaluate({ orgId: ORG, expression: 'trigger.body.a * input.total', context });
    expect(result).toEqual({ ok: true, value: 84, console: [] });
  });
});

describe('failures', () => {
  it('names the expression that threw', async () => {
    const { message } = await expectFailure(() => evaluate(['1', 'input.nope.deeper']), 'user_error', TIMEOUT_MS);
    expect(message).toBe(
      "In {{ input.nope.deeper }}: TypeError: Cannot read properties of undefined (reading 'deeper')",
    );
  });

  it('names the expression with a syntax error, even in a batch', async () => {
    const { message } = await expectFailure(() => evaluate(['1', '1 +', '3']), 'user_error', TIMEOUT_MS);
    expect(message).toMatch(/^In \{\{ 1 \+ \}\}: SyntaxError: /);
  });

  it('refuses an expression that returns a promise', async () => {
    const { message } = await expectFailure(() => evaluateOne('new Promise(() => {})'), 'user_error', TIMEOUT_MS);
    expect(message).toContain('Expressions must be synchronous');
  });

  it.each([
    ['an infinite loop', '(() => { while (true) {} })()'],
    ['a looping getter on the result', '({ get x() { for (;;) {} } })'],
    ['a loop scheduled before returning', '(async () => { for (;;) await null; })() && 1'],
  ])('stops %s with a timeout', async (_name, expression) => {
    await expectFailure(() => evaluateOne(expression), 'timeout', TIMEOUT_MS);
    await expectNextRenderWorks(pool);
  });

  it.each([
    ['an array bomb', '(() => { const a = []; for (;;) a.push([a.length]); })()'],
    ['a string bomb', "(() => { const a = []; for (let i = 0; ; i++) a.push('z'.repeat(1e6) + i); })()"],
    ['an ArrayBuffer bomb', '(() => { const a = []; for (;;) a.push(new ArrayBuffer(2 ** 24)); })()'],
    ['a Map bomb', "(() => { const m = new Map(); for (let i = 0; ; i++) m.set('k' + i, i); })()"],
  ])('stops %s with a memory error', async (_name, expression) => {
    await expectFailure(() => evaluateOne(expression, bombPool), 'memory', BOMB_TIMEOUT_MS);
    await expectNextRenderWorks(bombPool);
  });

  it.each([
    ['process', 'process.env'],
    ['require', "require('child_process')"],
    ['the Function constructor', "this.constructor.constructor('return process')()"],
    ['a prototype of the data', "input.constructor.constructor('return process')()"],
    ['deep recursion', '(function f() { return f(); })()'],
  ])('refuses %s with a user error', async (_name, expression) => {
    await expectFailure(() => evaluateOne(expression), 'user_error', TIMEOUT_MS);
    await expectNextRenderWorks(pool);
  });

  it('refuses dynamic import (it can only ever yield a promise)', async () => {
    await expectFailure(() => evaluateOne("import('node:fs')"), 'user_error', TIMEOUT_MS);
  });

  it('starts every evaluation from a fresh context', async () => {
    await evaluateOne("(globalThis.leak = 'yes', Object.prototype.polluted = 1, 1)");
    expect(await evaluateOne('[typeof leak, ({}).polluted ?? "clean"]')).toMatchObject({
      ok: true,
      value: ['undefined', 'clean'],
    });
  });
});
