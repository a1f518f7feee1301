import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { PlatformService } from '../../src/modules/identity/index.js';
import { withFailingInsert } from '../utils/db-faults.js';
import { ensureRow, orgOwnedTables } from '../utils/rls-seed.js';
import { bearer, createTestApp, uniqueSlug, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Row-level security, checked as the runtime role for every table that has an `org_id` column today or later
 * (the list comes from information_schema, so new tables are covered without editing this test).
 */
describe('row-level security on every org-owned table', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let runtime: pg.Client;
  let owner: pg.Client;
  let tables: string[];

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
    for (const org of [a, b]) {
      await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'p' }).expect(201);
    }
    const url = inject('databaseUrl');
    runtime = new pg.Client({ connectionString: url, options: '-c role=tenantflow_app' });
    owner = new pg.Client({ connectionString: url });
    await runtime.connect();
    await owner.connect();
    tables = await orgOwnedTables(owner);
    // Before any test reads: every later check (no context, cross-org) then runs over a non-empty table.
    for (const table of tables) await ensureRow(owner, table, b.id);
  });
  /** Runs `fn` as the runtime role in one transaction with `org` as the tenant context, then rolls back. */
  async function asOrg<T>(org: string, fn: (q: pg.Client['query']) => Promise<T>): Promise<T> {
    await runtime.query('BEGIN');
    try {
      await runtime.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
      return await fn(runtime.query.bind(runtime) as pg.Client['query']);
    } finally {
      await runtime.query('ROLLBACK');
    }
  }
  afterAll(async () => {
    await runtime.end();
    await owner.end();
    await t.close();
  });

  it('finds the org-owned tables', () => {
    expect(tables).toEqual(expect.arrayContaining(['api_key', 'app_user', 'project']));
  });

  it('has RLS enabled and forced on each, and the runtime role cannot bypass it', async () => {
    for (const table of [...tables, 'organization']) {
      const { rows } = await owner.query(
        `SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`,
        [table],
      );
      expect(rows[0], table).toEqual({ relrowsecurity: true, relforcerowsecurity: true });
    }
    const { rows } = await owner.query(`SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'tenantflow_app'`);
    expect(rows[0]).toEqual({ rolbypassrls: false, rolsuper: false });
    expect((await runtime.query('SELECT current_user AS u')).rows[0].u).toBe('tenantflow_app');
  });

  it('shows no rows at all without an org context', async () => {
    for (const table of [...tables, 'organization']) {
      const { rows } = await runtime.query(`SELECT count(*)::int AS n FROM "${table}"`);
      expect(rows[0].n, table).toBe(0);
    }
  });

  it("has a row of org B in every org-owned table (seeded from the catalogue), visible to org B's own context", async () => {
    for (const table of tables) {
      const present = await owner.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
      expect(present.rows[0].n, `${table}: org B has no row, so the walk below would prove nothing`).toBeGreaterThan(0);
      const seen = await asOrg(b.id, (q) => q(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]));
      expect(seen.rows[0].n, `${table}: org B's own context`).toBe(present.rows[0].n);
    }
  });

  it("with org A's context, none of org B's rows can be read, updated or deleted, in any org-owned table", async () => {
    for (const table of tables) {
      const present = await owner.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
      expect(present.rows[0].n, `${table} seeded`).toBeGreaterThan(0);
      await asOrg(a.id, async (q) => {
        const read = await q(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
        expect(read.rows[0].n, `${table} read`).toBe(0);
        const own = await q(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id <> $1`, [a.id]);
        expect(own.rows[0].n, `${table} foreign rows visible`).toBe(0);
        const upd = await q(`UPDATE "${table}" SET org_id = org_id WHERE org_id = $1`, [b.id]).catch((e: Error) => e);
        expect(upd instanceof Error ? upd.message : upd.rowCount, `${table} update`).toBe(0);
        const del = await q(`DELETE FROM "${table}" WHERE org_id = $1`, [b.id]).catch((e: Error) => e);
        expect(del instanceof Error ? del.message : del.rowCount, `${table} delete`).toBe(0);
      });
      const after = await owner.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
      expect(after.rows[0].n, table).toBe(present.rows[0].n);
    }
    await asOrg(a.id, async (q) => {
      expect(
        (await q(`SELECT count(*)::int AS n FROM organization WHERE id = $1`, [b.id])).rows[0].n,
        'organization read',
      ).toBe(0);
      expect(
        (await q(`UPDATE organization SET name = name WHERE id = $1`, [b.id])).rowCount,
        'organization update',
      ).toBe(0);
    });
  });

  it("refuses writing a row into another org under A's context", async () => {
    await runtime.query('BEGIN');
    try {
      await runtime.query(`SELECT set_config('app.org_id', $1, true)`, [a.id]);
      await expect(
        runtime.query(`INSERT INTO project (id, org_id, name) VALUES (gen_random_uuid(), $1, 'smuggled')`, [b.id]),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await runtime.query('ROLLBACK');
    }
    await runtime.query('BEGIN');
    try {
      await runtime.query(`SELECT set_config('app.org_id', $1, true)`, [a.id]);
      const moved = await runtime
        .query(`UPDATE project SET org_id = $1 WHERE org_id = $2`, [b.id, a.id])
        .catch((e: Error) => e);
      expect(moved).toBeInstanceOf(Error);
      expect((moved as Error).message).toMatch(/row-level security/);
    } finally {
      await runtime.query('ROLLBACK');
    }
  });

  it('leaves nothing half-written when org creation fails after the org row', async () => {
    // The failure is injected at the database (a trigger refusing the owner key's insert), so the real writer,
    // key service and transaction are what is tested.
    const slug = uniqueSlug('atomic');
    await withFailingInsert(owner, 'api_key', `(SELECT slug FROM organization WHERE id = NEW.org_id) = '${slug}'`, () =>
      expect(
        t.server.app.get(PlatformService).createOrg({ name: slug, slug }, { type: 'system', id: null }),
      ).rejects.toThrow(),
    );
    for (const table of ['organization', 'audit_event', 'app_user', 'audit_chain']) {
      const where = table === 'organization' ? `slug = $1` : `org_id IN (SELECT id FROM organization WHERE slug = $1)`;
      const { rows } = await owner.query(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, [slug]);
      expect(rows[0].n, table).toBe(0);
    }
    const logged = await owner.query(`SELECT count(*)::int AS n FROM audit_event WHERE metadata::text LIKE $1`, [
      `%${slug}%`,
    ]);
    expect(logged.rows[0].n).toBe(0);
  });
});
