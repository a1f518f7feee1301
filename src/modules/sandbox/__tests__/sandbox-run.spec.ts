import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../index.js';
import { RunLog } from './sandbox-test-kit.js';

// Run sessions (SandboxPool.openRun): the calls of one run share one context; no other run ever sees it.
const ORG = 'org-run-session';
const OTHER_ORG = 'org-run-session-other';
const TIMEOUT_MS = 500;

const log = new RunLog();
let pool: SandboxPool;

beforeAll(() => {
  pool = new SandboxPool({ timeoutMs: TIMEOUT_MS, maxIsolatesPerOrg: 1, onRun: log.onRun });
});

afterAll(async () => {
  await pool.close();
});

// Built-in prototypes are frozen (SES lockdown): the pollution attempt throws, and is caught so the run goes on.
const leak =
  'globalThis.leak = (globalThis.leak ?? 0) + 1; try { Object.prototype.polluted = true; } catch {} return leak;';
const probe = 'return [typeof leak, ({}).polluted ?? null];';

describe('run sessions', () => {
  it('runs expressions and code of one run with their own data, in one context', async () => {
    const run = pool.openRun(ORG);
    try {
      const values = await run.evaluateAll(['trigger.body.a + trigger.body.b', 'input * 2'], {
        trigger: { body: { a: 2, b: 3 } },
        input: 4,
      });
      expect(values).toEqual({ ok: true, value: [5, 8], console: [] });
      expect(await run.runCode({ code: leak })).toMatchObject({ ok: true, value: 1 });
      expect(await run.runCode({ code: leak })).toMatchObject({ ok: true, value: 2 });
      expect(await run.runCode({ code: 'return input.total * 2;', input: { total: 5 } })).toEqual({
        ok: true,
        value: 10,
        console: [],
      });
    } finally {
      run.close();
    }
  });

  it('never lets one run see another run\u2019s context, concurrently or after it closed', async () => {
    const first = pool.openRun(ORG);
    const second = pool.openRun(ORG);
    try {
      expect(await first.runCode({ code: leak })).toMatchObject({ ok: true, value: 1 });
      // Same org, one isolate (maxIsolatesPerOrg: 1), open at the same time: still two contexts.
      expect(await second.runCode({ code: probe })).toEqual({ ok: true, value: ['undefined', null], console: [] });
      expect(log.runs.at(-1)?.isolateId).toBe(log.runs.at(-2)?.isolateId);
    } finally {
      first.close();
      second.close();
    }
    const third = pool.openRun(ORG);
    try {
      expect(await third.runCode({ code: probe })).toEqual({ ok: true, value: ['undefined', null], console: [] });
      expect(await pool.runCode({ orgId: ORG, code: probe })).toEqual({
        ok: true,
        value: ['undefined', null],
        console: [],
      });
    } finally {
      third.close();
    }
  });

  it('keeps runs of different orgs on different isolates', async () => {
    const [a, b] = [pool.openRun(ORG), pool.openRun(OTHER_ORG)];
    try {
      await Promise.all([a.runCode({ code: leak }), b.runCode({ code: probe })]);
      expect(log.isolatesOf(ORG).has([...log.isolatesOf(OTHER_ORG)][0])).toBe(false);
      expect(await b.runCode({ code: probe })).toEqual({ ok: true, value: ['undefined', null], console: [] });
    } finally {
      a.close();
      b.close();
    }
  });

  it('reports each call\u2019s own console lines', async () => {
    const run = pool.openRun(ORG);
    try {
      expect(await run.runCode({ code: "console.log('one'); return 1;" })).toEqual({
        ok: true,
        value: 1,
        console: ['one'],
      });
      expect(await run.runCode({ code: "console.log('two'); return 2;" })).toEqual({
        ok: true,
        value: 2,
        console: ['two'],
      });
    } finally {
      run.close();
    }
  });

  it('starts over in a fresh context of a new isolate after a limit tripped', async () => {
    const run = pool.openRun(ORG);
    const bystander = pool.openRun(ORG);
    try {
      await bystander.runCode({ code: leak });
      await run.runCode({ code: leak });
      const timedOut = await run.runCode({ code: 'while (true) {}' });
      expect(timedOut).toMatchObject({ ok: false, error: { type: 'timeout' } });
      const isolate = log.last().isolateId;
      expect(await run.runCode({ code: probe })).toEqual({ ok: true, value: ['undefined', null], console: [] });
      expect(log.last().isolateId).not.toBe(isolate);
      // The other run's context lived in the disposed isolate too: it goes on, in a fresh context.
      expect(await bystander.runCode({ code: probe })).toEqual({ ok: true, value: ['undefined', null], console: [] });
    } finally {
      run.close();
      bystander.close();
    }
  });

  it('refuses calls after close', async () => {
    const run = pool.openRun(ORG);
    run.close();
    run.close();
    expect(() => run.runCode({ code: 'return 1;' })).toThrow('closed');
  });
});
