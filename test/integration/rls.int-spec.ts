import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { ApiKeysService, PlatformService } from '../../src/modules/identity/index.js';
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
    const rows = await owner.query<{ table_name: string }>(
      `SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.column_name = 'org_id' AND c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1`,
    );
    tables = rows.rows.map((r) => r.table_name);
  });
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
      const { rows } = await owner.query(`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`, [table]);
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

  it("with org A's context, none of org B's rows can be read, updated or deleted", async () => {
    for (const table of tables) {
      const present = await owner.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
      await runtime.query('BEGIN');
      try {
        await runtime.query(`SELECT set_config('app.org_id', $1, true)`, [a.id]);
        const read = await runtime.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
        expect(read.rows[0].n, `${table} read`).toBe(0);
        const upd = await runtime.query(`UPDATE "${table}" SET org_id = org_id WHERE org_id = $1`, [b.id]);
        expect(upd.rowCount, `${table} update`).toBe(0);
        const del = await runtime.query(`DELETE FROM "${table}" WHERE org_id = $1`, [b.id]);
        expect(del.rowCount, `${table} delete`).toBe(0);
        const own = await runtime.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id <> $1`, [a.id]);
        expect(own.rows[0].n, `${table} foreign rows visible`).toBe(0);
      } finally {
        await runtime.query('ROLLBACK');
      }
      const after = await owner.query(`SELECT count(*)::int AS n FROM "${table}" WHERE org_id = $1`, [b.id]);
      expect(after.rows[0].n, table).toBe(present.rows[0].n);
    }
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
      const moved = await runtime.query(`UPDATE project SET org_id = $1 WHERE org_id = $2`, [b.id, a.id]).catch((e: Error) => e);
      expect(moved).toBeInstanceOf(Error);
      expect((moved as Error).message).toMatch(/row-level security/);
    } finally {
      await runtime.query('ROLLBACK');
    }
  });

  it('leaves nothing half-written when org creation fails after the org row', async () => {
    const slug = uniqueSlug('atomic');
    const spy = vi.spyOn(t.server.app.get(ApiKeysService), 'insert').mockRejectedValueOnce(new Error('injected failure'));
    await expect(t.server.app.get(PlatformService).createOrg({ name: slug, slug }, { type: 'system', id: null })).rejects.toThrow('injected failure');
    spy.mockRestore();
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM organization WHERE slug = $1`, [slug]);
    expect(rows[0].n).toBe(0);
  });
});
