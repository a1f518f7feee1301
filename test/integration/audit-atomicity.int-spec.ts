import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEventBus } from '../../src/core/events/domain-events.js';
import { PlatformService } from '../../src/modules/identity/index.js';
import { auditClients } from '../utils/audit-db.js';
import { withFailingInsert } from '../utils/db-faults.js';
import { bearer, createTestApp, uniqueSlug, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Must show 2: the entry and the change commit together or not at all. */
describe('audit entries are atomic with their change', () => {
  let t: TestApp;
  let org: TestOrg;
  let owner: pg.Client;
  let close: () => Promise<void>;

  const head = async (orgId: string) =>
    (await owner.query(`SELECT seq FROM audit_chain WHERE org_id = $1`, [orgId])).rows[0]?.seq as string | undefined;
  const count = async (sql: string, params: unknown[]) => (await owner.query(sql, params)).rows[0].n as number;

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    ({ owner, close } = await auditClients());
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('a failure after the change and its entry, before commit, leaves neither', async () => {
    const bus = t.server.app.get(DomainEventBus);
    let seenInTx = 0;
    // Runs after the audit writer (subscribed later), inside the same transaction, then fails it.
    const off = bus.subscribe(async (em, event) => {
      if (event.action !== 'project.created') return;
      const [{ n }] = (await em.query(
        `SELECT count(*)::int AS n FROM audit_event WHERE org_id = $1 AND resource_id = $2`,
        [event.orgId, event.resourceId],
      )) as { n: number }[];
      seenInTx = n;
      throw new Error('injected failure before commit');
    });
    const before = await head(org.id);
    try {
      const res = await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'doomed' });
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toContain('injected');
    } finally {
      off();
    }
    expect(seenInTx).toBe(1); // the entry existed inside the transaction...
    expect(await count(`SELECT count(*)::int AS n FROM project WHERE org_id = $1 AND name = 'doomed'`, [org.id])).toBe(
      0,
    );
    expect(
      await count(`SELECT count(*)::int AS n FROM audit_event WHERE org_id = $1 AND action = 'project.created'`, [
        org.id,
      ]),
    ).toBe(0);
    expect(await head(org.id)).toBe(before); // ...and neither it nor the change survived
    await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'doomed' }).expect(201); // nothing half-written blocks a retry
    expect(await head(org.id)).toBe(String(Number(before) + 1));
  });

  it('a failing audit write fails the change', async () => {
    // The audit insert itself fails in the database (the real writer, the real transaction).
    const before = await head(org.id);
    const res = await withFailingInsert(owner, 'audit_event', `NEW.org_id = '${org.id}'::uuid`, () =>
      t.http().patch('/api/v1/org').set(bearer(org.ownerKey)).send({ name: 'never-renamed' }),
    );
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('injected');
    expect(
      await count(`SELECT count(*)::int AS n FROM organization WHERE id = $1 AND name = 'never-renamed'`, [org.id]),
    ).toBe(0);
    expect(await head(org.id)).toBe(before);
    await t.http().patch('/api/v1/org').set(bearer(org.ownerKey)).send({ name: 'renamed' }).expect(200); // the control
  });

  it('platform org creation failing after org.created leaves no org and no entry', async () => {
    const slug = uniqueSlug('atomic-audit');
    // The owner key's insert fails in the database, after the org row and its org.created entry were written.
    await withFailingInsert(owner, 'api_key', `(SELECT slug FROM organization WHERE id = NEW.org_id) = '${slug}'`, () =>
      expect(
        t.server.app.get(PlatformService).createOrg({ name: slug, slug }, { type: 'system', id: null }),
      ).rejects.toThrow(),
    );
    expect(await count(`SELECT count(*)::int AS n FROM organization WHERE slug = $1`, [slug])).toBe(0);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_event WHERE action = 'org.created' AND metadata->>'slug' = $1`,
        [slug],
      ),
    ).toBe(0);
  });

  it('an event for another org than the transaction is refused (row-level security), failing the change', async () => {
    const other = await t.createOrg();
    const bus = t.server.app.get(DomainEventBus);
    const off = bus.subscribe(async (em, event) => {
      if (event.action === 'project.created')
        await bus.publish(em, { action: 'project.updated', orgId: other.id, resourceType: 'project' });
    });
    try {
      await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'cross-org' }).expect(500);
    } finally {
      off();
    }
    expect(await count(`SELECT count(*)::int AS n FROM project WHERE name = 'cross-org'`, [])).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM audit_event WHERE org_id = $1 AND action = 'project.updated'`, [
        other.id,
      ]),
    ).toBe(0);
  });
});
