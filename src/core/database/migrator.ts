import type { Logger } from 'pino';
import type { Database } from './database.js';

const MIGRATION_LOCK_KEY = 7_402_118_231; // any constant shared by all instances of this product

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so instances starting together never race.
 * Against an up-to-date database it changes nothing.
 */
export async function runMigrations(db: Database, log: Logger): Promise<string[]> {
  const runner = db.system.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await db.system.runMigrations({ transaction: 'each' });
    for (const m of applied) log.info({ migration: m.name }, 'migration applied');
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
