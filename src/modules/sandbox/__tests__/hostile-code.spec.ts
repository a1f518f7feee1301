import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../index.js';
import { expectFailure, RunLog } from './sandbox-test-kit.js';

// Hostile code nodes. Each case must fail with the right type within its limit + 1 s, the test process
// (the "server") stays up, and the same org's next run in the same pool works.
const ORG = 'org-hostile';
const TIMEOUT_MS = 500;
// Memory bombs get a small heap and a longer clock, so the memory limit is what trips.
const BOMB_MEMORY_MB = 16;
const BOMB_TIMEOUT_MS = 3000;

const log = new RunLog();
let timePool: SandboxPool;
let bombPool: SandboxPool;

async function expectNextRunWorks(pool: SandboxPool): Promise<void> {
  const next = await pool.runCode({ orgId: ORG, code: 'return input.n + 1;', input: { n: 41 } });
  expect(next).toEqual({ ok: true, value: 42, console: [] });
}

beforeAll(async () => {
  timePool = new SandboxPool({ timeoutMs: TIMEOUT_MS, onRun: log.onRun });
  bombPool = new SandboxPool({ timeoutMs: BOMB_TIMEOUT_MS, memoryLimitMb: BOMB_MEMORY_MB, onRun: log.onRun });
  // Start the host processes, so that start-up time is not charged to the first hostile case.
  await Promise.all([expectNextRunWorks(timePool), expectNextRunWorks(bombPool)]);
});

afterAll(async () => {
  await Promise.all([timePool.close(), bombPool.close()]);
});

describe('code that never finishes', () => {
  it.each([
    ['a synchronous infinite loop', 'while (true) {}'],
    ['an async infinite loop', 'for (;;) await null;'],
    ['a promise that never settles', 'await new Promise(() => {});'],
    ['a thenable that never calls back', 'return { then() {} };'],
    ['a loop left running after return', '(async () => { for (;;) await null; })(); return 1;'],
    ['a looping getter on the returned object', 'return { get x() { while (true) {} } };'],
    ['a looping toJSON on the returned object', 'return { toJSON() { for (;;) {} } };'],
    ['a looping getter on the thrown error', 'throw { get message() { for (;;) {} } };'],
  ])('stops %s with a timeout error', async (_name, code) => {
    const { message } = await expectFailure(() => timePool.runCode({ orgId: ORG, code }), 'timeout', TIMEOUT_MS);
    expect(message).toBe(`Code exceeded the ${TIMEOUT_MS} ms time limit`);
    await expectNextRunWorks(timePool);
  });

  it('never runs anything again in an isolate that timed out', async () => {
    await timePool.runCode({ orgId: ORG, code: 'while (true) {}' });
    const timedOut = log.last().isolateId;
    expect(timedOut).toBeDefined();
    for (let i = 0; i < 4; i++) {
      await timePool.runCode({ orgId: ORG, code: 'return 1;' });
      expect(log.last().isolateId).not.toBe(timedOut);
    }
  });
});

describe('memory bombs', () => {
  it.each([
    ['a growing array of objects', 'const a = []; for (;;) a.push({ n: a.length, list: [1, 2, 3] });'],
    ['accumulated large strings', "const a = []; for (let i = 0; ; i++) a.push('y'.repeat(1e6) + i);"],
    ['a doubling string', "let s = 'x'; for (;;) s += s;"],
    ['typed arrays', 'const a = []; for (;;) a.push(new Uint8Array(2 ** 24).fill(1));'],
    ['one huge typed array', 'return new Float64Array(2 ** 30).length;'],
    ['ArrayBuffers', 'const a = []; for (;;) a.push(new ArrayBuffer(2 ** 24));'],
    ['a Map of numbers', 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });'],
    // These make V8 give up on the whole process (catastrophic OOM): only the host process dies.
    ['a Map with string keys', "const m = new Map(); for (let i = 0; ; i++) m.set('k' + i, i);"],
    ['a Set', 'const s = new Set(); for (let i = 0; ; i++) s.add(i);'],
    ['an object used as a dictionary', "const o = {}; for (let i = 0; ; i++) o['k' + i] = i;"],
  ])('stops %s with a memory error', async (_name, code) => {
    const { message } = await expectFailure(() => bombPool.runCode({ orgId: ORG, code }), 'memory', BOMB_TIMEOUT_MS);
    expect(message).toBe(`Code exceeded the ${BOMB_MEMORY_MB} MiB memory limit`);
    await expectNextRunWorks(bombPool);
  });

  it('re-runs another org\u2019s call that was in flight when a bomb took the host process down', async () => {
    const runs = new RunLog();
    const shared = new SandboxPool({
      hostProcesses: 1,
      timeoutMs: BOMB_TIMEOUT_MS,
      memoryLimitMb: BOMB_MEMORY_MB,
      onRun: runs.onRun,
    });
    try {
      await expectNextRunWorks(shared);
      const innocent = shared.runCode({
        orgId: 'org-innocent',
        code: "const end = Date.now() + 600; while (Date.now() < end) {} return 'done';",
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const code = "const m = new Map(); for (let i = 0; ; i++) m.set('k' + i, i);";
      const bomb = shared.runCode({ orgId: ORG, code });
      expect(await bomb).toMatchObject({ ok: false, error: { type: 'memory' } });
      // No isolate id: the bomb took its host process down (a V8 catastrophic OOM), not just its isolate.
      expect(runs.last()).toMatchObject({ orgId: ORG, outcome: 'memory', isolateId: undefined });
      expect(await innocent).toEqual({ ok: true, value: 'done', console: [] });
    } finally {
      await shared.close();
    }
  });

  it('survives a fill of 2^30 elements, which V8 cannot even interrupt', async () => {
    // The fill runs inside one builtin: it ends as a timeout (host killed at the deadline) or a memory error.
    const code = 'return new Array(2 ** 30).fill(0).length;';
    await expectFailure(() => bombPool.runCode({ orgId: ORG, code }), ['timeout', 'memory'], BOMB_TIMEOUT_MS);
    await expectNextRunWorks(bombPool);
  });

  it('stops Intl objects, which the heap limit does not see, with the host memory budget', async () => {
    // ~1 GB of RSS in 4 s under a 64 MiB heap limit when unchecked: ICU memory lives outside the V8 heap.
    // A long clock, so that only the budget can stop it; it trips in ~1.5 s.
    const budgetTimeoutMs = 8000;
    const budgetPool = new SandboxPool({
      timeoutMs: budgetTimeoutMs,
      memoryLimitMb: BOMB_MEMORY_MB,
      hostMemoryLimitMb: 256,
    });
    try {
      await expectNextRunWorks(budgetPool);
      const code = `const a = [];
        for (;;) a.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC' }), new Intl.Collator('de'));`;
      await expectFailure(() => budgetPool.runCode({ orgId: ORG, code }), 'memory', budgetTimeoutMs);
      await expectNextRunWorks(budgetPool);
    } finally {
      await budgetPool.close();
    }
  });

  it('has no resizable, shared or wasm memory to escape the limit with', async () => {
    const code = `const tryIt = (f) => { try { f(); return 'ran'; } catch (e) { return 'refused'; } };
      const b = new ArrayBuffer(8, { maxByteLength: 2 ** 30 });
      return [tryIt(() => b.resize(2 ** 29)), tryIt(() => b.transfer(2 ** 29)), tryIt(() => b.transferToFixedLength(2 ** 29)),
        typeof SharedArrayBuffer, typeof WebAssembly, typeof Atomics, typeof FinalizationRegistry, typeof WeakRef];`;
    const result = await bombPool.runCode({ orgId: ORG, code });
    expect(result).toMatchObject({ ok: true, value: [...Array(3).fill('refused'), ...Array(5).fill('undefined')] });
  });
});

describe('escape attempts and crashes', () => {
  // Free names the compartment does not have read as undefined (SES's scope terminator), so they fail as
  // calls or reads of undefined; the Function constructor reached through a prototype refuses outright.
  it.each([
    ['deep recursion', 'function f() { return f() + 1; } return f();', 'RangeError: Maximum call stack size exceeded'],
    ['process', 'return process.pid;', "Cannot read properties of undefined (reading 'pid')"],
    ['require', "return require('node:fs');", 'require is not a function'],
    ['the Function constructor', "return this.constructor.constructor('return process')();", "reading 'constructor'"],
    [
      'a prototype of the input',
      "return input.constructor.constructor('return process')();",
      'not a valid constructor',
    ],
    ['direct eval', "return eval('require')('fs');", 'SES_EVAL_REJECTED'],
    ['indirect eval', "return (0, eval)('require')('fs');", 'is not a function'],
    ['dynamic import', "return await import('node:fs');", 'Error'],
    ['setTimeout', 'setTimeout(() => {}, 10);', 'setTimeout is not a function'],
  ])('refuses %s with a user error', async (_name, code, expected) => {
    const { message } = await expectFailure(
      () => timePool.runCode({ orgId: ORG, code, input: { a: 1 } }),
      'user_error',
      TIMEOUT_MS,
    );
    expect(message).toContain(expected);
    await expectNextRunWorks(timePool);
  });

  it('refuses deep async recursion with a user error', async () => {
    // A promise per frame makes this slow on a loaded machine: it gets the longer clock of the bomb pool.
    // The default heap: under the bombs' 16 MiB the promises exhaust the heap before the stack.
    const stackPool = new SandboxPool({ timeoutMs: BOMB_TIMEOUT_MS });
    try {
      await expectNextRunWorks(stackPool); // host start-up is not the case's time
      const code = 'const f = async (n) => f(n + 1); return await f(0);';
      const run = () => stackPool.runCode({ orgId: ORG, code });
      const { message } = await expectFailure(run, 'user_error', BOMB_TIMEOUT_MS);
      expect(message).toContain('Maximum call stack size exceeded');
      await expectNextRunWorks(stackPool);
    } finally {
      await stackPool.close();
    }
  });

  it('offers nothing of the host through globals or prototypes', async () => {
    const code = `
      let viaPrototype = 'reached';
      try { Object.getPrototypeOf(input).constructor.constructor('return globalThis')(); } catch (e) { viaPrototype = e.name; }
      const names = ['process', 'require', 'module', 'global', 'Buffer', 'setTimeout', 'setInterval',
        'setImmediate', 'queueMicrotask', 'fetch', 'XMLHttpRequest', 'WebSocket', 'structuredClone'];
      const ownGlobal = Function('return globalThis')() === globalThis && (0, eval)('globalThis') === globalThis;
      return { viaPrototype, ownGlobal, present: names.filter((n) => n in globalThis || typeof globalThis[n] !== 'undefined') };`;
    const result = await timePool.runCode({ orgId: ORG, code, input: { a: 1 } });
    expect(result).toEqual({
      ok: true,
      value: { viaPrototype: 'TypeError', ownGlobal: true, present: [] },
      console: [],
    });
  });

  it.skipIf(process.platform !== 'linux')('keeps the API process environment out of the host process', async () => {
    // Defence in depth: code never sees process.env, and even the process around the isolate has no secrets.
    process.env.SANDBOX_TEST_SECRET = 'must-not-leak';
    const runs = new RunLog();
    const probe = new SandboxPool({ onRun: runs.onRun });
    try {
      await probe.runCode({ orgId: ORG, code: 'return 1;' });
      const hostPid = runs.last().isolateId?.split(':')[0];
      const environ = readFileSync(`/proc/${hostPid}/environ`, 'utf8');
      expect(environ).not.toContain('must-not-leak');
    } finally {
      delete process.env.SANDBOX_TEST_SECRET;
      await probe.close();
    }
  });

  it('reports a syntax error with the line number and no host details', async () => {
    const code = 'const a = 1;\nreturn a +;';
    const { message } = await expectFailure(() => timePool.runCode({ orgId: ORG, code }), 'user_error', TIMEOUT_MS);
    expect(message).toBe("SyntaxError: Unexpected token ';' (line 2)");
  });

  it('carries the thrown message and line, never a host stack', async () => {
    const code = "const x = 1;\n\nthrow new TypeError('bad input: ' + x);";
    const { message } = await expectFailure(() => timePool.runCode({ orgId: ORG, code }), 'user_error', TIMEOUT_MS);
    expect(message).toBe('TypeError: bad input: 1 (line 3)');
  });

  it('reports thrown non-errors readably', async () => {
    const result = await timePool.runCode({ orgId: ORG, code: "throw { code: 'E_BAD' };" });
    expect(result).toMatchObject({ ok: false, error: { type: 'user_error', message: 'Uncaught {"code":"E_BAD"}' } });
  });
});
