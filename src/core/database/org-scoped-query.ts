import { createHash } from 'node:crypto';
import pg from 'pg';

const SET_ORG_SQL = `SELECT set_config('app.org_id', $1, true)`;
const SET_ORG_NAME = 'tf_set_org';

/** Statements are named by a hash of their text: parsed and planned once per connection, then only bound. */
const nameCache = new Map<string, string>();
function statementName(text: string): string {
  let name = nameCache.get(text);
  if (!name) {
    name = `tf_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (nameCache.size < 10_000) nameCache.set(text, name);
  }
  return name;
}

type Callback = (err: Error | null, rows?: Record<string, unknown>[]) => void;
type Connection = {
  parsedStatements: Record<string, string>;
  parse(m: { text: string; name?: string; types?: unknown[] }): void;
  bind(m: { statement?: string; values: unknown[]; valueMapper?: unknown }): void;
  describe(m: { type: 'P'; name: string }): void;
  execute(m: { portal: string; rows?: number }): void;
};

// pg's Query is a JS class; its extended-protocol hooks (`prepare`, `requiresPreparation`) are not typed.
const BaseQuery = pg.Query as unknown as new (
  config: { text: string; name: string; values: unknown[] },
  values: undefined,
  cb: (err: Error | null, res: unknown) => void,
) => {
  prepare(connection: Connection): void;
};

/**
 * One round trip for a read under row-level security: `set_config('app.org_id', …, true)` and the statement are
 * pipelined as two extended-protocol executions before a single Sync. PostgreSQL runs everything up to a Sync as
 * one implicit transaction, so the org setting is local to it and gone afterwards, exactly like
 * BEGIN / SET LOCAL / query / COMMIT, in a quarter of the round trips (they dominate cost on small reads).
 */
export class OrgScopedQuery extends BaseQuery {
  constructor(
    private readonly orgId: string,
    text: string,
    values: unknown[],
    callback: Callback,
  ) {
    super({ text, name: statementName(text), values }, undefined, (err, res) => {
      if (err) return callback(err);
      const results = (Array.isArray(res) ? res : [res]) as { rows: Record<string, unknown>[] }[];
      callback(null, results[results.length - 1].rows);
    });
  }

  /** Always the extended protocol: pg would send a parameterless statement as a simple query, skipping `prepare`. */
  requiresPreparation(): boolean {
    return true;
  }

  override prepare(connection: Connection): void {
    if (connection.parsedStatements[SET_ORG_NAME] === undefined) {
      connection.parse({ text: SET_ORG_SQL, name: SET_ORG_NAME, types: [] });
      // A constant, valid statement: record it now (pg only records the main statement's ParseComplete).
      connection.parsedStatements[SET_ORG_NAME] = SET_ORG_SQL;
    }
    connection.bind({ statement: SET_ORG_NAME, values: [this.orgId] });
    connection.describe({ type: 'P', name: '' });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection);
  }
}
