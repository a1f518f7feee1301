import type { QueryRunner } from 'typeorm';

/** The tenant filter every policy uses: the org set by `Database.withOrg` (`SET LOCAL`), or none. */
export const CURRENT_ORG_SQL = `nullif(current_setting('app.org_id', true), '')::uuid`;

/**
 * Enables and forces row-level security on an org-owned table: the runtime role sees and writes only rows of
 * the org in context (none without one); the maintenance role (granted to the migration owner) sees all.
 * Every migration that adds an org-owned table calls this; a test checks every `org_id` table is covered.
 */
export async function protectOrgTable(q: QueryRunner, table: string, orgColumn = 'org_id'): Promise<void> {
  await q.query(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY`);
  await q.query(
    `CREATE POLICY "${table}_org_isolation" ON "${table}" TO tenantflow_app
       USING ("${orgColumn}" = ${CURRENT_ORG_SQL}) WITH CHECK ("${orgColumn}" = ${CURRENT_ORG_SQL})`,
  );
  await q.query(
    `CREATE POLICY "${table}_maintenance" ON "${table}" TO tenantflow_maintenance USING (true) WITH CHECK (true)`,
  );
  await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON "${table}" TO tenantflow_app`);
}
