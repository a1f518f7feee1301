import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/core/database/database.js';
import { auditVerifyCommand, AuditRetentionService, verifyAuditChain } from '../../src/modules/audit/index.js';
import { asSuperuserBypassingTriggers, auditClients } from '../utils/audit-db.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Must show 3 (immutability, tamper evidence), 4 (concurrent writers) and the retention purge. */
describe('audit chain: append-only, tamper-evident, concurrent, purged with checkpoints', () => {
  let t: TestApp;
  let db: Database;
  let owner: pg.Client;
  let runtime: pg.Client;
  let close: () => Promise<void>;

  const addProjects = async (org: TestOrg, n: number) => {
    for (let i = 0; i < n; i++)
      await t
        .http()
        .post('/api/v1/projects')
        .set(bearer(org.ownerKey))
        .send({ name: `p-${i}-${Math.random()}` })
        .expect(201);
  };
  const entries = async (orgId: string) =>
    (
      await owner.query<{ id: string; seq: string; action: string }>(
        `SELECT id, seq, action FROM audit_event WHERE org_id = $1 ORDER BY seq`,
        [orgId],
      )
    ).rows;
  const asRuntime = async (orgId: string, sql: string, params: unknown[] = []) => {
    await runtime.query('BEGIN');
    try {
      await runtime.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
      return await runtime.query(sql, params);
    } finally {
      await runtime.query('ROLLBACK');
    }
  };

  beforeAll(async () => {
    t = await createTestApp();
    db = t.server.app.get(Database);
    ({ owner, runtime, close } = await auditClients());
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('records actor, request context and a gap-free chain that verifies', async () => {
    const org = await t.createOrg();
    const res = await t
      .http()
      .post('/api/v1/projects')
      .set(bearer(org.ownerKey))
      .set('User-Agent', 'audit-test/1.0')
      .set('X-Request-Id', 'req-audit-1')
      .send({ name: 'alpha' })
      .expect(201);
    const {
      rows: [key],
    } = await owner.query(`SELECT id, name FROM api_key WHERE org_id = $1`, [org.id]);
    const { rows } = await owner.query(`SELECT * FROM audit_event WHERE org_id = $1 ORDER BY seq`, [org.id]);
    expect(rows.map((r) => [r.seq, r.action])).toEqual([
      ['1', 'org.created'],
      ['2', 'api_key.created'],
      ['3', 'project.created'],
    ]);
    const e = rows[2];
    expect(e).toMatchObject({
      actor_type: 'api_key',
      actor_id: key.id,
      actor_name: key.name,
      resource_type: 'project',
      resource_id: res.body.id,
      outcome: 'success',
      user_agent: 'audit-test/1.0',
      request_id: 'req-audit-1',
      metadata: { name: 'alpha' },
    });
    expect(e.ip).toMatch(/127\.0\.0\.1$/);
    expect(rows[0]).toMatchObject({ actor_type: 'system', actor_id: null });
    expect(await verifyAuditChain(db, org.id)).toMatchObject({ ok: true, checked: 3 });
    const http = await t.http().get('/api/v1/audit-events/verify').set(bearer(org.ownerKey)).expect(200);
    expect(http.body).toEqual({ ok: true, checked: 3 });
  });

  it('refuses UPDATE, DELETE, TRUNCATE and the purge function to the runtime role', async () => {
    const org = await t.createOrg();
    const [first] = await entries(org.id);
    await expect(asRuntime(org.id, `UPDATE audit_event SET reason = 'x' WHERE id = $1`, [first.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(asRuntime(org.id, `DELETE FROM audit_event WHERE id = $1`, [first.id])).rejects.toThrow(/append-only/);
    await expect(
      asRuntime(
        org.id,
        `SELECT set_config('tenantflow.audit_purge', 'on', true); DELETE FROM audit_event WHERE id = '${first.id}'`,
      ),
    ).rejects.toThrow(/append-only/);
    await expect(asRuntime(org.id, `TRUNCATE audit_event`)).rejects.toThrow(/permission denied|append-only/);
    await expect(asRuntime(org.id, `SELECT audit_purge($1, 1, '{}')`, [org.id])).rejects.toThrow(/permission denied/);
    // The triggers hold for the owner too; only disabling them (superuser) gets through.
    await expect(owner.query(`UPDATE audit_event SET reason = 'x' WHERE id = $1`, [first.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(owner.query(`DELETE FROM audit_event WHERE id = $1`, [first.id])).rejects.toThrow(/append-only/);
    expect((await entries(org.id)).length).toBe(2);
  });

  it('names exactly the entry a superuser edited', async () => {
    const org = await t.createOrg();
    await addProjects(org, 4);
    const list = await entries(org.id);
    const victim = list[3];
    await asSuperuserBypassingTriggers(owner, `UPDATE audit_event SET metadata = '{"name":"innocent"}' WHERE id = $1`, [
      victim.id,
    ]);
    const result = await verifyAuditChain(db, org.id);
    expect(result).toMatchObject({ ok: false, firstBadEventId: victim.id });
    expect(result.chains[0]).toMatchObject({ reason: 'hash_mismatch', firstBadSeq: 4, checked: 4 });
    const http = await t.http().get('/api/v1/audit-events/verify').set(bearer(org.ownerKey)).expect(200);
    expect(http.body).toEqual({ ok: false, checked: 4, firstBadEventId: victim.id, reason: 'hash_mismatch' });
    const cli = await auditVerifyCommand(db, ['--org', org.id]);
    expect(cli.exitCode).toBe(1);
    expect(cli.output).toContain(`FAIL  ${org.id}: hash_mismatch at entry ${victim.id} (seq 4)`);
    expect((await auditVerifyCommand(db, ['--org', (await t.createOrg()).id])).exitCode).toBe(0);
  });

  it('detects edited actors, outcomes and sub-millisecond time changes', async () => {
    for (const edit of [
      `actor_id = 'someone-else'`,
      `outcome = 'failure'`,
      `created_at = created_at + interval '1 microsecond'`,
      `hash = repeat('a', 64)`,
    ]) {
      const org = await t.createOrg();
      await addProjects(org, 2);
      const victim = (await entries(org.id))[2];
      await asSuperuserBypassingTriggers(owner, `UPDATE audit_event SET ${edit} WHERE id = $1`, [victim.id]);
      expect(await verifyAuditChain(db, org.id), edit).toMatchObject({ ok: false, firstBadEventId: victim.id });
    }
  });

  it('names the successor of a deleted entry, and flags a removed head', async () => {
    const org = await t.createOrg();
    await addProjects(org, 3);
    const list = await entries(org.id);
    await asSuperuserBypassingTriggers(owner, `DELETE FROM audit_event WHERE id = $1`, [list[2].id]);
    expect((await verifyAuditChain(db, org.id)).chains[0]).toMatchObject({
      ok: false,
      reason: 'sequence_gap',
      firstBadEventId: list[3].id,
    });

    const org2 = await t.createOrg();
    await addProjects(org2, 1);
    const last = (await entries(org2.id)).at(-1)!;
    await asSuperuserBypassingTriggers(owner, `DELETE FROM audit_event WHERE id = $1`, [last.id]);
    expect((await verifyAuditChain(db, org2.id)).chains[0]).toMatchObject({
      ok: false,
      reason: 'head_mismatch',
      checked: 2,
    });
  });

  it('keeps one valid chain under 50 concurrent writers in one org', async () => {
    const org = await t.createOrg();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t
          .http()
          .post('/api/v1/projects')
          .set(bearer(org.ownerKey))
          .send({ name: `concurrent-${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const list = await entries(org.id);
    expect(list.map((e) => Number(e.seq))).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(list.filter((e) => e.action === 'project.created')).toHaveLength(50);
    const { rows } = await owner.query(
      `SELECT count(*)::int AS n, count(DISTINCT created_at <= lead_at OR lead_at IS NULL)::int AS kinds
      FROM (SELECT created_at, lead(created_at) OVER (ORDER BY seq) AS lead_at FROM audit_event WHERE org_id = $1) x`,
      [org.id],
    );
    expect(rows[0]).toEqual({ n: 52, kinds: 1 }); // time never decreases along the chain
    expect(await verifyAuditChain(db, org.id)).toMatchObject({ ok: true, checked: 52 });
  });

  it('purges only through audit_purge, leaving a checkpoint the chain verifies from', async () => {
    const org = await t.createOrg();
    await addProjects(org, 3);
    const retention = t.server.app.get(AuditRetentionService);
    expect(await retention.purgeChain(org.id, new Date(Date.now() + 1000))).toBe(5);
    let list = await entries(org.id);
    expect(list.map((e) => [e.seq, e.action])).toEqual([['6', 'audit.purged']]);
    expect(await verifyAuditChain(db, org.id)).toMatchObject({ ok: true, checked: 1 });
    await addProjects(org, 2);
    expect(await verifyAuditChain(db, org.id)).toMatchObject({ ok: true, checked: 3 });
    await new Promise((r) => setTimeout(r, 5));
    expect(await retention.purgeChain(org.id, new Date(Date.now() - 1))).toBe(3); // the checkpoint itself ages out too
    list = await entries(org.id);
    expect(list.map((e) => e.action)).toEqual(['audit.purged']);
    expect(await verifyAuditChain(db, org.id)).toMatchObject({ ok: true, checked: 1 });
    // A checkpoint that does not name the real last hash is refused by the database.
    await addProjects(org, 1);
    const forged = JSON.stringify({
      v: 1,
      orgId: org.id,
      action: 'audit.purged',
      metadata: { throughSeq: Number(list[0].seq), continuesFromHash: 'f'.repeat(64) },
    });
    await expect(owner.query(`SELECT audit_purge($1, $2, $3)`, [org.id, list[0].seq, forged])).rejects.toThrow(
      /checkpoint must name/,
    );
  });

  it('purges a long history in slices, each leaving a checkpoint, and the chain still verifies', async () => {
    const org = await t.createOrg();
    await addProjects(org, 8);
    const cutoff = new Date(Date.now() + 1000);
    expect(await t.server.app.get(AuditRetentionService).purgeChain(org.id, cutoff, 3)).toBe(10);
    const list = await entries(org.id);
    expect(list.map((e) => [e.seq, e.action])).toEqual([
      ['11', 'audit.purged'],
      ['12', 'audit.purged'],
      ['13', 'audit.purged'],
      ['14', 'audit.purged'],
    ]);
    const { rows } = await owner.query(
      `SELECT metadata->'throughSeq' AS through FROM audit_event WHERE org_id = $1 ORDER BY seq`,
      [org.id],
    );
    expect(rows.map((r) => r.through)).toEqual([3, 6, 9, 10]);
    expect(await verifyAuditChain(db, org.id)).toMatchObject({ ok: true, checked: 4 });
  });

  it('applies per-org retention days in the scheduled job, one instance at a time', async () => {
    const org = await t.createOrg();
    await addProjects(org, 2);
    await t.http().put('/api/v1/audit-settings').set(bearer(org.ownerKey)).send({ retentionDays: 1 }).expect(200);
    expect((await t.http().get('/api/v1/audit-settings').set(bearer(org.ownerKey)).expect(200)).body).toEqual({
      retentionDays: 1,
    });
    await t.http().put('/api/v1/audit-settings').set(bearer(org.ownerKey)).send({ retentionDays: 0 }).expect(400);
    const retention = t.server.app.get(AuditRetentionService);
    const other = await t.createOrg();
    await owner.query('SELECT pg_advisory_lock(7402118233)');
    expect(await retention.runOnce(new Date(Date.now() + 2 * 86_400_000))).toBeNull();
    await owner.query('SELECT pg_advisory_unlock(7402118233)');
    const purged = await retention.runOnce(new Date(Date.now() + 2 * 86_400_000));
    expect(purged).toEqual(expect.arrayContaining([{ orgId: org.id, removed: 5 }]));
    expect(purged!.map((p) => p.orgId)).not.toContain(other.id); // default 365 days
    expect((await entries(org.id)).map((e) => e.action)).toEqual(['audit.purged']);
    expect((await entries(other.id)).length).toBe(2);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false }); // the chains tampered with above
    expect((await verifyAuditChain(db)).chains.find((c) => c.orgId === org.id)).toMatchObject({ ok: true });
  });
});
