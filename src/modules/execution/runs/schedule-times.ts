import { CronExpressionParser } from 'cron-parser';
import type { ScheduleTriggerSettings } from '../definition/flow-definition.js';

/** At most this many fire times of one flow are fired in one tick (a catch-up, a stalled process): the newest. */
export const MAX_FIRES_PER_TICK = 100;
/** `missed: catchUp` looks back at most this far (and never before the flow was last enabled or its org reactivated). */
export const CATCH_UP_WINDOW_MS = 24 * 60 * 60_000;

const IDEMPOTENCY_PREFIX = 'schedule:';

/** The run idempotency key of a fire time; unique per flow (`run_idempotency_key` is on org, flow and key). */
export const scheduleKey = (at: Date): string => `${IDEMPOTENCY_PREFIX}${at.toISOString()}`;

/** The fire time named by a schedule run's idempotency key, or null. */
export function fireTimeOfKey(key: string | null | undefined): Date | null {
  if (!key?.startsWith(IDEMPOTENCY_PREFIX)) return null;
  const at = new Date(key.slice(IDEMPOTENCY_PREFIX.length));
  return Number.isNaN(at.getTime()) ? null : at;
}

const parse = (settings: ScheduleTriggerSettings, currentDate: Date) =>
  CronExpressionParser.parse(settings.cron, { currentDate, tz: settings.timezone || 'UTC' });

/** The next fire time strictly after `after` of a cron expression in a time zone (UTC by default); null if invalid. */
export function nextFireTime(settings: ScheduleTriggerSettings, after: Date): Date | null {
  try {
    return parse(settings, after).next().toDate();
  } catch {
    return null;
  }
}

/**
 * Every fire time in (`after`, `upTo`], oldest first; when there are more than `cap`, only the newest `cap`
 * (walked backwards from `upTo`, so a long gap costs `cap` steps, not one per missed time). Empty if invalid.
 */
export function dueFireTimes(settings: ScheduleTriggerSettings, after: Date, upTo: Date, cap: number): Date[] {
  const times: Date[] = [];
  try {
    // prev() is strictly before its start; one millisecond later includes `upTo` itself.
    const it = parse(settings, new Date(upTo.getTime() + 1));
    while (times.length < cap) {
      const at = it.prev().toDate();
      if (at <= after) break;
      times.push(at);
    }
  } catch {
    return [];
  }
  return times.reverse();
}
