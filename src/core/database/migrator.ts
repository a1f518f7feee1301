import type { Logger } from 'pino';
import type { Database } from './database.js';

const MIGRATION_LOCK_KEY = 7_402_118_231; // any constant shared by all instances of this product

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so instances starting together never race.
 * Against an up-to-date database it changes nothing.
 */
export async function runMigrations(db: Database, log: Logger): Promise<string[]> {
  return db.withSystemSession(async (runner) => {
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const applied = await db.applyMigrations();
      for (const name of applied) log.info({ migration: name }, 'migration applied');
      return applied;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  });
}
