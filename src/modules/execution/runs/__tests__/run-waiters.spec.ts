import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../engine/run-types.js';
import { RunWaiters } from '../run-waiters.js';

const outcome = (): RunOutcome => ({
  status: 'succeeded',
  output: 1,
  steps: [],
  startedAt: new Date(),
  finishedAt: new Date(),
});
const response = { status: 201, headers: {}, body: 'hi' };

describe('RunWaiters (awaitOutcome of the run launcher)', () => {
  it('keeps an answer that arrives before the caller waits', async () => {
    const w = new RunWaiters();
    w.expect('r1');
    w.responded('r1', response);
    expect(await w.wait('r1', { timeoutMs: 1000, untilRespond: true })).toEqual({ kind: 'responded', response });
    const o = outcome();
    w.expect('r2');
    w.finished('r2', o);
    expect(await w.wait('r2', { timeoutMs: 1000 })).toEqual({ kind: 'finished', outcome: o });
    expect(w.has('r2')).toBe(false);
  });

  it('settles on the first of respond, end and timeout', async () => {
    const w = new RunWaiters();
    w.expect('r');
    const waiting = w.wait('r', { timeoutMs: 1000, untilRespond: true });
    w.responded('r', response);
    w.finished('r', outcome());
    expect(await waiting).toEqual({ kind: 'responded', response });
    expect(w.has('r')).toBe(false);
    w.expect('s');
    const ignoring = w.wait('s', { timeoutMs: 1000 });
    w.responded('s', response);
    const o = outcome();
    w.finished('s', o);
    expect(await ignoring).toEqual({ kind: 'finished', outcome: o });
    w.expect('t');
    expect(await w.wait('t', { timeoutMs: 20 })).toEqual({ kind: 'timeout' });
    w.finished('t', outcome());
    expect(w.has('t')).toBe(false);
  });

  it('answers null for a run it was not told to expect', () => {
    expect(new RunWaiters().wait('x', { timeoutMs: 10 })).toBeNull();
  });
});
