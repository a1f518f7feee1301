import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../host/memory-budget.js';

const MIB = 1024 * 1024;

describe('MemoryBudget (the host RSS backstop)', () => {
  function budget() {
    let rss = 200 * MIB;
    const b = new MemoryBudget(50, 1000, () => rss);
    return { b, set: (mb: number) => (rss = mb * MIB) };
  }

  it('allows any RSS while idle, up to the absolute budget', () => {
    const { b, set } = budget();
    set(900);
    expect(b.exceeded()).toBe(false);
    set(1001);
    expect(b.exceeded()).toBe(true);
  });

  it('allows each running job its growth, counted from when the oldest of them started', () => {
    const { b, set } = budget();
    b.jobStarted(1);
    set(250);
    expect(b.exceeded()).toBe(false);
    set(251);
    expect(b.exceeded()).toBe(true);
    set(240);
    b.jobStarted(2); // two jobs: 100 MiB over the first job's start
    set(300);
    expect(b.exceeded()).toBe(false);
    set(301);
    expect(b.exceeded()).toBe(true);
    b.jobEnded(1); // now counted from job 2's start (240): 50 MiB
    expect(b.exceeded()).toBe(true);
    set(290);
    expect(b.exceeded()).toBe(false);
    b.jobEnded(2);
    set(600);
    expect(b.exceeded()).toBe(false);
  });
});
