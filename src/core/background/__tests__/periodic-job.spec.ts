import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PeriodicJob } from '../periodic-job.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PeriodicJob', () => {
  it('never runs two passes at once, goes on after a failed pass, and stop waits for the pass in progress', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
    let active = 0;
    let most = 0;
    let passes = 0;
    let finished = 0;
    const job = new PeriodicJob(
      { name: 'test job', firstMs: 1, intervalMs: 5 },
      async () => {
        passes++;
        active++;
        most = Math.max(most, active);
        await sleep(30);
        active--;
        finished++;
        if (passes === 1) throw new Error('first pass fails');
      },
      log,
    );
    job.start();
    await sleep(120);
    await job.stop();
    const after = passes;
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
    expect(finished).toBe(passes);
    expect(lines.some((l) => l.includes('test job failed') && l.includes('first pass fails'))).toBe(true);
    await sleep(30);
    expect(passes).toBe(after);
  });
});
