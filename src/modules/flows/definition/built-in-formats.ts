import { CronExpressionParser } from 'cron-parser';
import { HEADER_NAME_PATTERN, HANDLE_PATTERN } from './built-in.shared.js';
import type { FormatChecker } from './param-schema.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const cron: FormatChecker = (v) => {
  const fields = v.trim().split(/\s+/).length;
  if (!v.trim().startsWith('@') && (fields < 5 || fields > 6)) return 'must be a cron expression with 5 or 6 fields';
  try {
    CronExpressionParser.parse(v);
    return null;
  } catch (e) {
    return `is not a valid cron expression (${(e as Error).message})`;
  }
};

const timezone: FormatChecker = (v) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return null;
  } catch {
    return 'is not a known IANA time zone';
  }
};

/** Publish-time string formats every registry starts with. */
export const BUILT_IN_FORMATS: Readonly<Record<string, FormatChecker>> = {
  cron,
  timezone,
  'connection-id': (v) => (UUID_RE.test(v) ? null : 'must be a connection id (UUID)'),
  'header-name': (v) => (new RegExp(HEADER_NAME_PATTERN).test(v) ? null : 'is not a valid header name'),
  handle: (v) => (new RegExp(HANDLE_PATTERN).test(v) ? null : 'is not a valid handle'),
};
