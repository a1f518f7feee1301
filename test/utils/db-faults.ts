import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * Runs `fn` while inserts into `table` whose row matches `when` (an SQL condition over NEW) fail in the database
 * itself, so the code under test meets a real failure of its real write, not a mocked one of our own service.
 * `owner` must be allowed to create triggers (the migration owner); the trigger is dropped afterwards.
 */
export async function withFailingInsert<T>(
  owner: pg.Client,
  table: string,
  when: string,
  fn: () => Promise<T>,
): Promise<T> {
  const name = `test_fault_${randomBytes(4).toString('hex')}`;
  // SECURITY DEFINER: the condition may read other org-owned tables whatever the inserting role's context.
  await owner.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      IF ${when} THEN RAISE EXCEPTION 'injected failure (${name})'; END IF;
      RETURN NEW;
    END $$`);
  await owner.query(`CREATE TRIGGER ${name} BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  try {
    return await fn();
  } finally {
    await owner.query(`DROP TRIGGER ${name} ON "${table}"`);
    await owner.query(`DROP FUNCTION ${name}()`);
  }
}
