import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';
import { createFlow, createProject, exampleDefinition, publish, saveDraft } from '../utils/flow-helpers.js';

describe('flow versions: concurrency and immutability in the database', () => {
  let t: TestApp;
  let a: TestOrg;
  let projectId: string;
  let runtime: pg.Client;
  let owner: pg.Client;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    projectId = await createProject(t, a.ownerKey);
    runtime = new pg.Client({ connectionString: inject('databaseUrl'), options: '-c role=tenantflow_app' });
    owner = new pg.Client({ connectionString: inject('databaseUrl') });
    await runtime.connect();
    await owner.connect();
  });
  afterAll(async () => {
    await runtime.end();
    await owner.end();
    await t.close();
  });

  /** Runs `sql` as the runtime role inside org A's context and returns the error it raised (or null). */
  async function asRuntime(sql: string, params: unknown[]): Promise<Error | null> {
    await runtime.query('BEGIN');
    try {
      await runtime.query(`SELECT set_config('app.org_id', $1, true)`, [a.id]);
      await runtime.query(sql, params);
      return null;
    } catch (e) {
      return e as Error;
    } finally {
      await runtime.query('ROLLBACK');
    }
  }

  it('gives concurrent publishes consecutive version numbers, never the same one and never a gap', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.http().post(`/api/v1/flows/${flowId}/publish`).set(bearer(a.ownerKey)).send({}),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
      const got = results.map((r) => r.body.version as number).sort((x, y) => x - y);
      expect(got).toEqual(Array.from({ length: 6 }, (_, i) => round * 6 + i + 1));
    }
    const { rows } = await owner.query(
      `SELECT array_agg(version ORDER BY version) AS v FROM flow_version WHERE flow_id = $1`,
      [flowId],
    );
    expect(rows[0].v).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
  });

  it('lets exactly one of two concurrent draft saves with the same ETag win; the other gets 412', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    for (let round = 0; round < 5; round++) {
      const current = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
      const defs = [exampleDefinition(), exampleDefinition()];
      defs[0].nodes[0].name = `left-${round}`;
      defs[1].nodes[0].name = `right-${round}`;
      const results = await Promise.all(
        defs.map((definition) =>
          t
            .http()
            .put(`/api/v1/flows/${flowId}/draft`)
            .set(bearer(a.ownerKey))
            .set('If-Match', current.headers.etag as string)
            .send({ definition }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
      const winner = results.find((r) => r.status === 200)!;
      expect(results.find((r) => r.status === 412)!.body.code).toBe('draft_conflict');
      const now = await t.http().get(`/api/v1/flows/${flowId}/draft`).set(bearer(a.ownerKey)).expect(200);
      expect(now.body.definition.nodes[0].name).toBe(winner.body.definition.nodes[0].name);
      expect(now.body.revision).toBe(current.body.revision + 1);
    }
  });

  it('refuses to update or delete a published version as the runtime role and as the owner', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    await publish(t, a.ownerKey, flowId);
    const before = await owner.query(`SELECT definition, message FROM flow_version WHERE flow_id = $1`, [flowId]);
    const update = await asRuntime(`UPDATE flow_version SET definition = '{}'::jsonb WHERE flow_id = $1`, [flowId]);
    expect(update?.message).toMatch(/flow versions are immutable/);
    const del = await asRuntime(`DELETE FROM flow_version WHERE flow_id = $1`, [flowId]);
    expect(del?.message).toMatch(/flow versions are immutable/);
    await expect(
      owner.query(`UPDATE flow_version SET message = 'tampered' WHERE flow_id = $1`, [flowId]),
    ).rejects.toThrow(/immutable/);
    const after = await owner.query(`SELECT definition, message FROM flow_version WHERE flow_id = $1`, [flowId]);
    expect(after.rows).toEqual(before.rows);
  });

  it('refuses a hard delete of a flow by the runtime role; project deletion still cascades', async () => {
    const p = await createProject(t, a.ownerKey);
    const flowId = await createFlow(t, a.ownerKey, p);
    await saveDraft(t, a.ownerKey, flowId, exampleDefinition());
    await publish(t, a.ownerKey, flowId);
    const hard = await asRuntime(`DELETE FROM flow WHERE id = $1`, [flowId]);
    expect(hard?.message).toMatch(/deleted softly/);
    expect(await asRuntime(`UPDATE flow SET deleted_at = now() WHERE id = $1`, [flowId])).toBeNull();
    await t.http().delete(`/api/v1/projects/${p}`).set(bearer(a.ownerKey)).expect(204);
    const { rows } = await owner.query(
      `SELECT (SELECT count(*) FROM flow WHERE id = $1)::int AS f, (SELECT count(*) FROM flow_version WHERE flow_id = $1)::int AS v`,
      [flowId],
    );
    expect(rows[0]).toEqual({ f: 0, v: 0 });
  });

  it('keeps a version bound to a flow of its own org (composite foreign key)', async () => {
    const flowId = await createFlow(t, a.ownerKey, projectId);
    const b = await t.createOrg();
    const err = await owner
      .query(
        `INSERT INTO flow_version (id, org_id, flow_id, version, schema_version, definition, definition_hash, created_by_type)
         VALUES (gen_random_uuid(), $1, $2, 1, 1, '{}', 'x', 'system')`,
        [b.id, flowId],
      )
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(/foreign key/);
  });
});
