import { afterAll, describe, expect, it } from 'vitest';
import { IsolateSandbox } from '../isolate-sandbox.js';
import { StepFailure } from '../run-errors.js';
import type { SandboxScope } from '../sandbox.port.js';

const limits = { timeoutMs: 300, memoryMb: 32 };
const scope: SandboxScope = { trigger: { body: { a: 2, b: 3 } }, nodes: { x: { output: { n: 7 } } }, input: { total: 5 } };

async function failure(p: Promise<unknown>): Promise<StepFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StepFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('IsolateSandbox (interim sandbox port implementation)', () => {
  const sb = new IsolateSandbox({ isolates: 2, memoryMb: 32 });
  afterAll(() => sb.close());

  it('evaluates expressions and code against copies of the scope', async () => {
    expect(await sb.evaluate('trigger.body.a + trigger.body.b', scope, limits)).toBe(5);
    expect(await sb.evaluate('nodes.x.output.n * input.total', scope, limits)).toBe(35);
    expect(await sb.runCode('input.total = 99; return { doubled: input.total * 2 };', scope, limits)).toEqual({ doubled: 198 });
    expect((scope.input as { total: number }).total).toBe(5);
    expect(await sb.runCode('await null; return [1, 2, 3].map((x) => x * 2);', scope, limits)).toEqual([2, 4, 6]);
    expect(await sb.evaluate('undefined', scope, limits)).toBeUndefined();
  });

  it('types user errors, timeouts and memory exhaustion, and recovers', async () => {
    expect((await failure(sb.runCode('throw new TypeError("boom")', scope, limits))).type).toBe('user_error');
    expect((await failure(sb.evaluate('nope(', scope, limits))).type).toBe('user_error');
    expect((await failure(sb.runCode('while (true) {}', scope, limits))).type).toBe('timeout');
    expect((await failure(sb.runCode('await null; for (;;) {}', scope, limits))).type).toBe('timeout');
    expect((await failure(sb.runCode('await new Promise(() => {});', scope, limits))).type).toBe('timeout');
    const big = 'const a = []; for (;;) a.push(new Array(100000).fill("xxxxxxxx"));';
    expect((await failure(sb.runCode(big, scope, { timeoutMs: 5000, memoryMb: 32 }))).type).toBe('memory');
    expect(await sb.evaluate('1 + 1', scope, limits)).toBe(2);
  });

  it('exposes no host objects and keeps no state between runs', async () => {
    expect(await sb.evaluate('typeof require + typeof process + typeof fetch + typeof setTimeout', scope, limits)).toBe('undefinedundefinedundefinedundefined');
    expect((await failure(sb.runCode('globalThis.leak = 1; return 1;', scope, limits))).type).toBe('user_error');
    expect((await failure(sb.runCode('Object.prototype.polluted = 1; return 1;', scope, limits))).type).toBe('user_error');
    await sb.runCode('try { Array.prototype.push = () => 0; } catch {} return 1;', scope, limits);
    expect(await sb.runCode('const a = []; a.push(1); return a.length;', scope, limits)).toBe(1);
    expect(await sb.evaluate('({}).polluted', scope, limits)).toBeUndefined();
  });

  it('treats strings in data as data (constructor escapes do not reach the host)', async () => {
    const r = await sb.evaluate('this === undefined ? "strict" : typeof this', scope, limits);
    expect(r).toBe('strict');
    const escape = 'return (function(){ return this })().constructor.constructor("return typeof process")()';
    expect(await sb.runCode(escape, scope, limits).catch((e: StepFailure) => e.type)).toMatch(/user_error|undefined/);
  });
});
