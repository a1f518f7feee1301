import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * Builds one minimal row per org-owned table from the catalogue (NOT NULL columns without a default, foreign keys
 * to parents seeded first in the same org, CHECK `col = ANY (ARRAY[...])` lists honoured), so a table added by a
 * later migration gets a row in the RLS walk without editing the test. A table whose constraints the generic row
 * cannot satisfy fails loudly, naming the table: give it an entry in OVERRIDES then.
 */

interface Column {
  name: string;
  udt: string;
  notNull: boolean;
  hasDefault: boolean;
}

interface ForeignKey {
  columns: string[];
  refTable: string;
  refColumns: string[];
}

interface TableShape {
  columns: Column[];
  fks: ForeignKey[];
  checks: string[];
}

/**
 * Per-table column values where the catalogue alone does not say what a valid row is, or where the first allowed
 * value would make a background worker act on the row (a queued run would be picked up by recovery).
 */
const OVERRIDES: Record<string, Record<string, unknown>> = {
  run: { status: 'cancelled' },
  // Only one active data key per org, and an inactive one records when it was retired.
  org_data_key: { active: false, retired_at: new Date('2026-01-01T00:00:00Z') },
};

export async function orgOwnedTables(db: pg.Client): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.column_name = 'org_id' AND c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

async function shapeOf(db: pg.Client, table: string): Promise<TableShape> {
  const cols = await db.query<{ name: string; udt: string; not_null: boolean; has_default: boolean }>(
    `SELECT a.attname AS name, t.typname AS udt, a.attnotnull AS not_null,
            (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
  const cons = await db.query<{
    contype: string;
    def: string;
    cols: string[];
    ref: string | null;
    refcols: string[] | null;
  }>(
    `SELECT c.contype, pg_get_constraintdef(c.oid) AS def,
            (SELECT array_agg(attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n) AS cols,
            c.confrelid::regclass::text AS ref,
            (SELECT array_agg(attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n) AS refcols
       FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype IN ('f', 'c')`,
    [table],
  );
  return {
    columns: cols.rows.map((c) => ({ name: c.name, udt: c.udt, notNull: c.not_null, hasDefault: c.has_default })),
    fks: cons.rows
      .filter((c) => c.contype === 'f')
      .map((c) => ({ columns: c.cols, refTable: c.ref!.replace(/"/g, ''), refColumns: c.refcols! })),
    checks: cons.rows.filter((c) => c.contype === 'c').map((c) => c.def),
  };
}

/** A value of a type that passes the column's CHECK constraints where those are a list of allowed literals. */
function valueFor(table: string, col: Column, checks: string[]): unknown {
  const listed = checks
    .map((def) => new RegExp(`\\b${col.name} = ANY \\(ARRAY\\['([^']*)'`).exec(def)?.[1])
    .find((v) => v !== undefined);
  if (listed !== undefined) return listed;
  const jsonKind = checks
    .map((def) => new RegExp(`jsonb?_typeof\\(${col.name}\\) = '(\\w+)'`).exec(def)?.[1])
    .find(Boolean);
  switch (col.udt) {
    case 'uuid':
      return randomUUID();
    case 'text':
    case 'varchar':
    case 'citext':
      return `rls-${table.replace(/_/g, '-')}-${col.name.replace(/_/g, '-')}-${randomBytes(4).toString('hex')}`;
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float8':
      return 1;
    case 'bool':
      return false;
    case 'json':
    case 'jsonb':
      return JSON.stringify(jsonKind === 'array' ? [] : {});
    case 'timestamptz':
    case 'timestamp':
    case 'date':
      return new Date(Date.now() + 86_400_000).toISOString();
    case 'bytea':
      return randomBytes(32);
    case 'inet':
      return '127.0.0.1';
    default:
      if (col.udt.startsWith('_')) return '{}';
      throw new Error(`rls seed: no generic value for ${table}.${col.name} (${col.udt}); add an override`);
  }
}

/**
 * Makes sure `org` has at least one row in `table` (as a role that bypasses RLS) and returns one of its rows,
 * seeding parents through foreign keys first.
 */
export async function ensureRow(
  db: pg.Client,
  table: string,
  org: string,
  depth = 0,
): Promise<Record<string, unknown>> {
  if (table === 'organization') return (await db.query(`SELECT * FROM organization WHERE id = $1`, [org])).rows[0];
  const existing = await db.query(`SELECT * FROM "${table}" WHERE org_id = $1 LIMIT 1`, [org]);
  if (existing.rows[0]) return existing.rows[0];
  if (depth > 8) throw new Error(`rls seed: foreign keys of ${table} nest too deep`);
  const shape = await shapeOf(db, table);
  const values = new Map<string, unknown>([['org_id', org]]);
  const needed = (c: Column) => c.notNull && !c.hasDefault;
  for (const fk of shape.fks) {
    const mustFill = fk.columns.some(
      (name) => name !== 'org_id' && shape.columns.find((c) => c.name === name && needed(c)),
    );
    if (!mustFill) continue;
    const parent = await parentRow(db, fk.refTable, org, depth);
    fk.columns.forEach((name, i) => values.set(name, parent[fk.refColumns[i]]));
  }
  for (const col of shape.columns) {
    if (!values.has(col.name) && needed(col)) values.set(col.name, valueFor(table, col, shape.checks));
  }
  for (const [name, value] of Object.entries(OVERRIDES[table] ?? {})) values.set(name, value);
  const names = [...values.keys()];
  const sql = `INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
  try {
    return (await db.query(sql, [...values.values()])).rows[0];
  } catch (e) {
    throw new Error(
      `rls seed: cannot build a minimal row of ${table} (${(e as Error).message}); add an override in test/utils/rls-seed.ts`,
      { cause: e },
    );
  }
}

async function parentRow(db: pg.Client, table: string, org: string, depth: number): Promise<Record<string, unknown>> {
  const owned = await db.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'org_id'`,
    [table],
  );
  if (table === 'organization' || owned.rowCount) return ensureRow(db, table, org, depth + 1);
  const any = await db.query(`SELECT * FROM "${table}" LIMIT 1`);
  if (!any.rows[0]) throw new Error(`rls seed: ${table} is not org-owned and has no row to point at; add an override`);
  return any.rows[0];
}
