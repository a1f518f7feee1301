import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookFlow, publishedFlow } from '../utils/run-helpers.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Issue 11: refused outbound requests are security events in the org's audit log. */
describe('egress.refused audit entries for flow runs', () => {
  let t: TestApp;
  let org: TestOrg;
  let internal: Server;
  let port = 0;

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg();
    internal = createServer((_req, res) => res.end('internal'));
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
    port = (internal.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => internal.close(r));
    await t.close();
  });

  const audited = async () =>
    (
      await t
        .http()
        .get('/api/v1/audit-events')
        .query({ action: 'egress.refused' })
        .set(bearer(org.ownerKey))
        .expect(200)
    ).body.items as Record<string, any>[];

  it('records one entry per run and node with the address class, never the address; allowed calls record nothing', async () => {
    const get = (id: string, url: string) => ({
      id,
      type: 'http.request',
      params: { method: 'GET', url, timeoutMs: 2000 },
      retry: { maxAttempts: 3, delayMs: 0 },
      onError: 'continue',
    });
    const flowId = await publishedFlow(
      t,
      org.ownerKey,
      hookFlow(
        [get('loop', `http://127.0.0.1:${port}/admin`), get('meta', 'http://169.254.169.254/latest/meta-data/')],
        {},
        [
          { from: 'trigger', to: 'loop' },
          { from: 'loop', to: 'meta' },
        ],
      ),
    );
    const res = await t.http().post(`/hooks/${flowId}`).send({});
    const runId = res.body.runId ?? res.headers['x-run-id'];
    const items = await audited();
    expect(items.map((e) => [e.metadata.nodeId, e.metadata.addressClass]).sort()).toEqual([
      ['loop', 'loopback'],
      ['meta', 'cloud_metadata'],
    ]);
    for (const e of items) {
      expect(e).toMatchObject({
        action: 'egress.refused',
        outcome: 'denied',
        reason: 'address_forbidden',
        resourceType: 'egress',
        metadata: { source: 'flow_run', flowId },
      });
      if (runId) expect(e.metadata.runId).toBe(runId);
      // (`ip` is the webhook caller's address, as on every entry; the refused target appears nowhere.)
      expect(JSON.stringify({ ...e, ip: null })).not.toMatch(/127\.0\.0\.1|169\.254|admin/);
    }
  });
});
