import http from 'node:http';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildEntry } from '../../src/modules/audit/audit-entry.js';
import { AuditExportService } from '../../src/modules/audit/audit-export.service.js';
import { entryBody } from '../../src/modules/audit/audit-hash.js';
import { verifyAuditChain } from '../../src/modules/audit/index.js';
import { Database } from '../../src/core/database/database.js';
import { auditClients } from '../utils/audit-db.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

const ENTRIES = 6000;

/** Export streams in bounded batches: a paused reader stops the database reads (backpressure), a gone one ends them. */
describe('audit export streaming', () => {
  let t: TestApp;
  let org: TestOrg;
  let owner: pg.Client;
  let close: () => Promise<void>;

  /** Opens the export and returns the response stream, paused after its first chunk. */
  const open = (format: string): Promise<{ res: http.IncomingMessage; req: http.ClientRequest; first: string }> =>
    new Promise((resolve, reject) => {
      const req = http.get(
        `${t.url}/api/v1/audit-events/export?format=${format}`,
        { headers: { Authorization: `Bearer ${org.ownerKey}` } },
        (res) => {
          res.once('data', (chunk: Buffer) => {
            res.pause();
            resolve({ res, req, first: chunk.toString('utf8') });
          });
        },
      );
      req.on('error', reject);
    });

  /** Waits until the spied batch reads stop growing (unchanged for 1 s, bounded by 20 s); returns their count. */
  async function readsSettle(spy: { mock: { calls: unknown[] } }): Promise<number> {
    let calls = spy.mock.calls.length;
    for (let still = 0, deadline = Date.now() + 20_000; still < 5 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
      still = spy.mock.calls.length === calls ? still + 1 : 0;
      calls = spy.mock.calls.length;
    }
    return calls;
  }

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    ({ owner, close } = await auditClients());
    const pad = 'x'.repeat(6000);
    const bodies = Array.from({ length: ENTRIES }, (_, i) =>
      entryBody(
        buildEntry(
          {
            action: 'project.updated',
            orgId: org.id,
            resourceType: 'project',
            resourceId: `r${i}`,
            metadata: { i, pad },
          },
          undefined,
        ),
      ),
    );
    await owner.query(`SELECT count(*) FROM unnest($1::text[]) AS b, LATERAL audit_append(b)`, [bodies]);
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  it('stops reading the database while the client does not read, and completes when it resumes', async () => {
    const spy = vi.spyOn(t.server.app.get(AuditExportService) as unknown as { batch: () => Promise<unknown> }, 'batch');
    const { res, first } = await open('ndjson');
    const whilePaused = await readsSettle(spy); // the reads stop while nobody reads...
    expect(whilePaused).toBeLessThan(Math.ceil(ENTRIES / 1000)); // ~38 MB: not all fetched while nobody reads
    let text = first;
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.resume();
    await new Promise((r) => res.on('end', r));
    spy.mockRestore();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(ENTRIES + 2);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual(Array.from({ length: ENTRIES + 2 }, (_, i) => i + 1));
    expect(await verifyAuditChain(t.server.app.get(Database), org.id)).toMatchObject({
      ok: true,
      checked: ENTRIES + 2,
    });
  });

  it('stops when the client goes away', async () => {
    const spy = vi.spyOn(t.server.app.get(AuditExportService) as unknown as { batch: () => Promise<unknown> }, 'batch');
    const { req } = await open('csv');
    req.destroy();
    const calls = await readsSettle(spy); // the reads stop (however long the server takes to notice)...
    expect(calls).toBeLessThan(Math.ceil(ENTRIES / 1000)); // ...before everything was read
    spy.mockRestore();
    await t.http().get('/health/live').expect(200);
  });
});
