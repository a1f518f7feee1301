import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxErrorType } from '../index.js';

// Issue 14: one run may grow the process tree (this process, standing in for the API, plus the sandbox hosts)
// by at most 3 x the memory limit + 64 MiB; four at once from two orgs by at most four times that; a
// well-behaved neighbour org keeps answering meanwhile. A small heap and a long wall clock, so that memory is
// what stops each run even on a busy 2-core machine.
const LIMIT_MB = 16;
const BOUND_MB = 3 * LIMIT_MB + 64;
const TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;
const PAGE = 4096;

function rssOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return 0; // the process is gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Sum of RSS over this process and its descendants, from /proc. */
function treeRss(pid = process.pid): number {
  return rssOf(pid) + childrenOf(pid).reduce((sum, child) => sum + treeRss(child), 0);
}

/** Peak tree RSS while `work` runs, as growth over the RSS just before, in MiB. */
async function peakGrowthMb<T>(work: () => Promise<T>): Promise<{ growthMb: number; result: T }> {
  const base = treeRss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss());
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, treeRss());
    return { growthMb: (peak - base) / MIB, result };
  } finally {
    clearInterval(timer);
  }
}

const BOMBS: Array<[string, string, SandboxErrorType]> = [
  ['growing arrays of objects', 'const a = []; for (;;) a.push({ n: a.length, list: [1, 2, 3] });', 'memory'],
  ['filling large arrays', 'const a = []; for (;;) a.push(new Array(1e6).fill(Math.random()));', 'memory'],
  ['one fill V8 cannot interrupt', 'return new Array(2 ** 30).fill(0).length;', 'memory'],
  ['very large strings kept', "const a = []; for (let i = 0; ; i++) a.push('y'.repeat(1e6) + i);", 'memory'],
  // The output limit stops these before JSON.stringify flattens them (bootstrap-source.ts).
  ['a very large string returned', "let s = 'x'; while (s.length < 2 ** 28) s += s; return s;", 'user_error'],
  [
    'many large strings returned',
    "const a = []; for (let i = 0; i < 12; i++) a.push('z'.repeat(2 ** 20) + i); return a;",
    'user_error',
  ],
  ['deeply nested JSON.parse', "const n = 2e6; return JSON.parse('['.repeat(n) + ']'.repeat(n)).length;", 'memory'],
  ['typed arrays', 'const a = []; for (;;) a.push(new Uint8Array(2 ** 22).fill(1));', 'memory'],
  [
    'Intl objects (outside the heap)',
    "const a = []; for (;;) a.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC' }), new Intl.Collator('de'));",
    'memory',
  ],
];

let pool: SandboxPool;

beforeAll(async () => {
  pool = new SandboxPool({ memoryLimitMb: LIMIT_MB, timeoutMs: TIMEOUT_MS });
  await Promise.all(
    ['org-bomb-a', 'org-bomb-b', 'org-neighbour'].map((orgId) => pool.runCode({ orgId, code: 'return 1;' })),
  );
});

afterAll(async () => {
  await pool.close();
});

/** Calls from a well-behaved org, one after another, until stopped; every answer must be right. */
function neighbour(): { stop: () => Promise<{ answers: number; failures: unknown[] }> } {
  let running = true;
  let answers = 0;
  const failures: unknown[] = [];
  const loop = (async () => {
    while (running) {
      const result = await pool.runCode({ orgId: 'org-neighbour', code: 'return input * 2;', input: answers });
      if (result.ok && result.value === answers * 2) {
        answers++;
      } else {
        failures.push(result);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { answers, failures };
    },
  };
}

describe.skipIf(process.platform !== 'linux')('the memory bound of runs', () => {
  it.each(BOMBS)(
    'keeps %s within 3 x the limit + 64 MiB of process-tree RSS',
    async (_name, code, type) => {
      await pool.runCode({ orgId: 'org-bomb-a', code: 'return 1;' }); // a warm isolate: its set-up is not the run's
      const friend = neighbour();
      const { growthMb, result } = await peakGrowthMb(() => pool.runCode({ orgId: 'org-bomb-a', code }));
      const { answers, failures } = await friend.stop();
      expect(result).toMatchObject({ ok: false, error: { type } });
      expect(growthMb).toBeLessThanOrEqual(BOUND_MB);
      expect(failures).toEqual([]);
      expect(answers).toBeGreaterThan(0);
    },
    120_000,
  );

  it('keeps four at once from two orgs within four times the bound, while a neighbour answers', async () => {
    await Promise.all(['org-bomb-a', 'org-bomb-b'].map((orgId) => pool.runCode({ orgId, code: 'return 1;' })));
    const codes = [BOMBS[0][1], BOMBS[3][1], BOMBS[1][1], BOMBS[8][1]];
    const friend = neighbour();
    const { growthMb, result } = await peakGrowthMb(() =>
      Promise.all(codes.map((code, i) => pool.runCode({ orgId: i % 2 ? 'org-bomb-b' : 'org-bomb-a', code }))),
    );
    const { answers, failures } = await friend.stop();
    for (const each of result) {
      expect(each).toMatchObject({ ok: false, error: { type: 'memory' } });
    }
    expect(growthMb).toBeLessThanOrEqual(4 * BOUND_MB);
    expect(failures).toEqual([]);
    expect(answers).toBeGreaterThan(0);
  }, 180_000);
});
