import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, SandboxTimeoutError, unwrapSandboxResult } from '../index.js';
import { RunLog } from './sandbox-test-kit.js';

const ORG_A = 'org-a';
const ORG_B = 'org-b';
const CONSOLE_MAX = 200;
const OUTPUT_MAX = 1000;

const log = new RunLog();
let pool: SandboxPool;

beforeAll(() => {
  pool = new SandboxPool({
    timeoutMs: 1000,
    consoleMaxBytes: CONSOLE_MAX,
    outputMaxBytes: OUTPUT_MAX,
    onRun: log.onRun,
  });
});

afterAll(async () => {
  await pool.close();
});

describe('runCode', () => {
  it('runs the body of an async function over input, trigger and nodes', async () => {
    const code = 'await null; return { sum: input.a + trigger.body.b + nodes.first.output.c };';
    const data = { input: { a: 1 }, trigger: { body: { b: 2 } }, nodes: { first: { output: { c: 3 } } } };
    expect(await pool.runCode({ orgId: ORG_A, code, ...data })).toEqual({ ok: true, value: { sum: 6 }, console: [] });
  });

  it('turns results that JSON has no word for into null', async () => {
    const result = await pool.runCode({ orgId: ORG_A, code: 'return [undefined, () => 1, NaN];' });
    expect(result).toMatchObject({ ok: true, value: [null, null, null] });
    expect(await pool.runCode({ orgId: ORG_A, code: 'const x = 1;' })).toMatchObject({ ok: true, value: null });
  });

  it('refuses results that are not JSON', async () => {
    const bigint = await pool.runCode({ orgId: ORG_A, code: 'return { n: 10n };' });
    const userError = (text: string) => ({
      ok: false,
      error: { type: 'user_error', message: expect.stringContaining(text) },
    });
    expect(bigint).toMatchObject(userError('BigInt'));
    const cycle = await pool.runCode({ orgId: ORG_A, code: 'const a = {}; a.self = a; return a;' });
    expect(cycle).toMatchObject(userError('circular'));
  });

  it('copies data in: the code cannot change the caller\u2019s objects', async () => {
    const input = { list: [1, 2], nested: { x: 1 } };
    const code = 'input.list.push(3); input.nested.x = 2; return input;';
    const result = await pool.runCode({ orgId: ORG_A, code, input });
    expect(result).toMatchObject({ ok: true, value: { list: [1, 2, 3], nested: { x: 2 } } });
    expect(input).toEqual({ list: [1, 2], nested: { x: 1 } });
  });

  it('gives typed errors through unwrapSandboxResult', async () => {
    const result = await pool.runCode({ orgId: ORG_A, code: 'while (true) {}' });
    expect(() => unwrapSandboxResult(result)).toThrow(SandboxTimeoutError);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('isolation', () => {
  it('runs every call in a fresh compartment of a warm isolate, over frozen intrinsics', async () => {
    // An org with no history has exactly one isolate, so both calls are sure to share it.
    const orgId = 'org-fresh-context';
    const dirty = `const attempts = {
        proto: () => { Object.prototype.polluted = true; },
        json: () => { JSON.stringify = () => 'x'; },
        map: () => { Array.prototype.map = null; },
        console: () => { console.log = () => {}; },
      };
      const refused = [];
      for (const [name, attempt] of Object.entries(attempts)) {
        try { attempt(); } catch (e) { refused.push(name + ': ' + e.name); }
      }
      globalThis.leak = 1;
      return refused;`;
    const refused = ['proto: TypeError', 'json: TypeError', 'map: TypeError', 'console: TypeError'];
    expect(await pool.runCode({ orgId, code: dirty })).toMatchObject({ ok: true, value: refused });
    const first = log.last().isolateId;
    const probe = `console.log('still here');
      return [typeof leak, ({}).polluted, JSON.stringify({ a: 1 }), [1].map((n) => n * 2)];`;
    const result = await pool.runCode({ orgId, code: probe });
    expect(result).toEqual({ ok: true, value: ['undefined', null, '{"a":1}', [2]], console: ['still here'] });
    expect(log.last().isolateId).toBe(first);
  });

  it('never lets two orgs share an isolate, sequentially or concurrently', async () => {
    const code = 'return input;';
    for (let i = 0; i < 3; i++) {
      await pool.runCode({ orgId: ORG_A, code, input: i });
      await pool.runCode({ orgId: ORG_B, code, input: i });
    }
    const concurrent = Array.from({ length: 6 }, (_, i) =>
      pool.runCode({ orgId: i % 2 ? ORG_A : ORG_B, code: 'await null; return input;', input: i }),
    );
    expect((await Promise.all(concurrent)).every((r) => r.ok)).toBe(true);
    const [a, b] = [log.isolatesOf(ORG_A), log.isolatesOf(ORG_B)];
    expect(a.size).toBeGreaterThan(0);
    expect(b.size).toBeGreaterThan(0);
    expect([...a].filter((id) => b.has(id))).toEqual([]);
  });

  it('keeps a busy org within maxIsolatesPerOrg warm isolates', async () => {
    const runs = new RunLog();
    const busy = new SandboxPool({ maxIsolatesPerOrg: 3, onRun: runs.onRun });
    try {
      for (let i = 0; i < 30; i++) {
        await busy.runCode({ orgId: ORG_A, code: 'return 1;' });
      }
      const code = 'await null; return 1;';
      await Promise.all(Array.from({ length: 12 }, () => busy.runCode({ orgId: ORG_A, code })));
      expect(runs.isolatesOf(ORG_A).size).toBeLessThanOrEqual(3);
    } finally {
      await busy.close();
    }
  });

  it('queues an org\u2019s calls beyond maxIsolatesPerOrg, on its one isolate', async () => {
    const runs = new RunLog();
    const single = new SandboxPool({ maxIsolatesPerOrg: 1, onRun: runs.onRun });
    try {
      const code = 'return input * 2;';
      const calls = Array.from({ length: 4 }, (_, input) => single.runCode({ orgId: ORG_A, code, input }));
      expect((await Promise.all(calls)).map((r) => r.ok && r.value)).toEqual([0, 2, 4, 6]);
      expect(runs.isolatesOf(ORG_A).size).toBe(1);
    } finally {
      await single.close();
    }
  });
});

describe('console and output limits', () => {
  it('captures console.log, info, warn and error', async () => {
    const code = `console.log('a', 1, { b: [2] }); console.info('i'); console.warn('w'); console.error(new Error('e'));
      return null;`;
    const result = await pool.runCode({ orgId: ORG_A, code });
    expect(result.console).toEqual(['a 1 {"b":[2]}', 'i', '[warn] w', '[error] Error: e']);
  });

  it('caps console output in bytes and says so', async () => {
    const code = "for (let i = 0; i < 1000; i++) console.log('line ' + i + ' \u20ac\u20ac\u20ac'); return 'done';";
    const result = await pool.runCode({ orgId: ORG_A, code });
    expect(result).toMatchObject({ ok: true, value: 'done' });
    const text = result.console.slice(0, -1).join('');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(CONSOLE_MAX);
    expect(result.console.at(-1)).toBe('[console output truncated]');
  });

  it.each([
    ['a busy loop', "console.log('before'); while (true) {}"],
    ['a promise that never settles', "console.log('before'); await new Promise(() => {});"],
  ])('keeps the console of a run that timed out in %s', async (_name, code) => {
    // The budget also covers creating the context: 3 s leaves a busy machine room to reach the first line.
    const slowPool = new SandboxPool({ timeoutMs: 3000, consoleMaxBytes: CONSOLE_MAX, outputMaxBytes: OUTPUT_MAX });
    try {
      const result = await slowPool.runCode({ orgId: ORG_A, code });
      expect(result).toMatchObject({ ok: false, error: { type: 'timeout' }, console: ['before'] });
    } finally {
      await slowPool.close();
    }
  });

  it.each([
    ['ASCII', "return 'x'.repeat(2000);"],
    ['multi-byte text under the character count', "return '\u20ac'.repeat(500);"],
  ])('refuses output over outputMaxBytes (%s)', async (_name, code) => {
    const result = await pool.runCode({ orgId: ORG_A, code });
    const message = `Code result is larger than the ${OUTPUT_MAX}-byte output limit`;
    expect(result).toMatchObject({ ok: false, error: { type: 'user_error', message } });
  });

  it('accepts output right under the limit', async () => {
    const result = await pool.runCode({ orgId: ORG_A, code: "return 'x'.repeat(990);" });
    expect(result).toMatchObject({ ok: true, value: 'x'.repeat(990) });
  });
});

describe('pool lifecycle', () => {
  it('rejects calls after close()', async () => {
    const closing = new SandboxPool();
    await closing.runCode({ orgId: ORG_A, code: 'return 1;' });
    await closing.close();
    await expect(closing.runCode({ orgId: ORG_A, code: 'return 1;' })).rejects.toThrow('closed');
  });

  it('rejects a call that close() interrupted', async () => {
    const closing = new SandboxPool();
    await closing.runCode({ orgId: ORG_A, code: 'return 1;' });
    const pending = closing.runCode({ orgId: ORG_A, code: 'await new Promise(() => {});' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closing.close();
    await expect(pending).rejects.toThrow('closed');
  });

  it('rejects misuse instead of running it', async () => {
    await expect(pool.runCode({ orgId: '', code: 'return 1;' })).rejects.toThrow(TypeError);
    await expect(pool.runCode({ orgId: ORG_A, code: 'return 1;', input: 1n as never })).rejects.toThrow(TypeError);
  });
});
