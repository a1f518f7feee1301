// The floor for issue 2: bare Express plus exactly the database work of an authenticated project list — the same
// row-level-security read (OrgScopedQuery: set_config + the statement, one round trip) as the runtime role, over
// the same connection, and nothing else (no authentication, authorization, validation, logging or metrics).
// Started by bench/run.mjs in its own process; TF_APP_URL is the runtime role's login, TF_ORG_ID the org listed.
import express from 'express';
import pg from 'pg';
import { OrgScopedQuery } from '../dist/src/core/database/org-scoped-query.js';

const iso = (c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const SQL = `SELECT id, name, description, ${iso('created_at')} AS "createdAt", ${iso('updated_at')} AS "updatedAt" FROM project WHERE org_id = $1 ORDER BY id DESC LIMIT $2`;
const orgId = process.env.TF_ORG_ID;
// A DATABASE_URL login is switched into the runtime role in the startup packet, as the server does.
const pool = new pg.Pool({
  connectionString: process.env.TF_APP_URL,
  max: 10,
  ...(process.env.TF_SET_ROLE ? { options: '-c role=tenantflow_app' } : {}),
});

const app = express();
app.get('/list/:n', async (req, res) => {
  const limit = Number(req.params.n);
  const client = await pool.connect();
  try {
    const rows = await new Promise((resolve, reject) =>
      client.query(new OrgScopedQuery(orgId, SQL, [orgId, limit + 1], (e, r) => (e ? reject(e) : resolve(r)))),
    );
    res.json({ items: rows.slice(0, limit), nextCursor: null });
  } finally {
    client.release();
  }
});
const server = app.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
