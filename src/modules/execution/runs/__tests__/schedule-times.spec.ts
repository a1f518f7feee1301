import { describe, expect, it } from 'vitest';
import { dueFireTimes, fireTimeOfKey, scheduleKey } from '../schedule-times.js';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('schedule fire times', () => {
  it('lists every time in (after, upTo], oldest first, so a late tick skips none', () => {
    const after = new Date('2026-01-01T00:00:05.000Z');
    expect(iso(dueFireTimes({ cron: '* * * * * *' }, after, new Date('2026-01-01T00:00:08.000Z'), 100))).toEqual([
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:07.000Z',
      '2026-01-01T00:00:08.000Z',
    ]);
    expect(dueFireTimes({ cron: '* * * * * *' }, after, new Date('2026-01-01T00:00:05.900Z'), 100)).toEqual([]);
  });

  it('keeps only the newest `cap` times of a long gap', () => {
    const times = dueFireTimes(
      { cron: '0 * * * *' },
      new Date('2026-01-01T00:00:00.000Z'),
      new Date('2026-01-03T00:30:00.000Z'),
      3,
    );
    expect(iso(times)).toEqual(['2026-01-02T22:00:00.000Z', '2026-01-02T23:00:00.000Z', '2026-01-03T00:00:00.000Z']);
  });

  it('follows the time zone, and an invalid expression has no times', () => {
    const times = dueFireTimes(
      { cron: '0 9 * * *', timezone: 'America/New_York' },
      new Date('2026-03-01T00:00:00Z'),
      new Date('2026-03-02T23:00:00Z'),
      10,
    );
    expect(iso(times)).toEqual(['2026-03-01T14:00:00.000Z', '2026-03-02T14:00:00.000Z']);
    expect(dueFireTimes({ cron: 'nope' }, new Date(0), new Date(), 10)).toEqual([]);
  });

  it('round-trips a fire time through its idempotency key', () => {
    const at = new Date('2026-01-01T10:00:00.000Z');
    expect(scheduleKey(at)).toBe('schedule:2026-01-01T10:00:00.000Z');
    expect(fireTimeOfKey(scheduleKey(at))).toEqual(at);
    expect(fireTimeOfKey('other:2026-01-01T10:00:00.000Z')).toBeNull();
    expect(fireTimeOfKey('schedule:garbage')).toBeNull();
    expect(fireTimeOfKey(null)).toBeNull();
  });
});
