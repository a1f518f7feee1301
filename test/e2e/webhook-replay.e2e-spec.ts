import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/modules/webhooks/index.js';
import { hookFlow, listRuns, publishedFlow } from '../utils/run-helpers.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Issue 11: one signed delivery, re-spelled (hex case, field order, spaces, extra candidates), runs exactly once. */
describe('webhook replay: every spelling of one delivery yields one run', () => {
  const secret = 'whsec_replay_0123456789abcdef';
  const body = JSON.stringify({ order: 7 });
  let t: TestApp;
  let a: TestOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
  });
  afterAll(() => t.close());

  const hmacFlow = (auth: Record<string, unknown>) =>
    publishedFlow(
      t,
      a.ownerKey,
      hookFlow([{ id: 'r', type: 'respond', params: { status: 200, body: 'ok' } }], {
        auth: { mode: 'hmac', secret, ...auth },
        respond: 'accepted',
      }),
    );

  /** Sends every spelling in turn; returns the statuses. */
  async function deliver(flowId: string, spellings: Record<string, string>[]): Promise<number[]> {
    const statuses: number[] = [];
    for (const headers of spellings) {
      const res = await t
        .http()
        .post(`/hooks/${flowId}`)
        .set('content-type', 'application/json')
        .set(headers)
        .send(body);
      statuses.push(res.status);
    }
    return statuses;
  }

  it('generic mode: hex case and a re-sent timestamp are the same delivery', async () => {
    const flowId = await hmacFlow({});
    const ts = Math.floor(Date.now() / 1000) - 3;
    const good = signRequest('generic', secret, body, ts);
    const sig = good['x-signature'];
    const spellings = [
      good,
      { ...good, 'x-signature': sig.toUpperCase() },
      { ...good, 'x-signature': sig.slice(0, 10).toUpperCase() + sig.slice(10) },
      { ...good, 'x-signature': ` ${sig} ` },
      { ...good, 'x-timestamp': `0${ts}` },
      { ...good, 'x-timestamp': ` ${ts}` },
      { ...good, 'x-signature': `${sig}00` },
    ];
    const statuses = await deliver(flowId, spellings);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.every((s) => s === 202 || s === 401)).toBe(true);
    expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(1);
  });

  it('GitHub preset: upper-case hex or prefix is one delivery', async () => {
    const flowId = await hmacFlow({ signatureHeader: 'X-Hub-Signature-256' });
    const good = signRequest('github', secret, body);
    const hex = good['x-hub-signature-256'].slice('sha256='.length);
    const spellings = [
      good,
      { 'x-hub-signature-256': `sha256=${hex.toUpperCase()}` },
      { 'x-hub-signature-256': `SHA256=${hex}` },
      { 'x-hub-signature-256': `sha256=${hex.slice(0, 8).toUpperCase()}${hex.slice(8)}` },
    ];
    const statuses = await deliver(flowId, spellings);
    expect(statuses).toEqual([202, 401, 401, 401]);
    // The exact same delivery again is a replay too.
    expect(await deliver(flowId, [good])).toEqual([401]);
    expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(1);
  });

  it('Stripe preset: reordered, padded, upper-case or extra v1 entries are one delivery', async () => {
    const flowId = await hmacFlow({ signatureHeader: 'Stripe-Signature' });
    const ts = Math.floor(Date.now() / 1000) - 5;
    const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    const other = '0'.repeat(64);
    const spellings = [
      `t=${ts},v1=${mac}`,
      `v1=${mac},t=${ts}`,
      `t=${ts}, v1=${mac}`,
      ` t=${ts},v1=${mac} `.trim() + ' ',
      `t=${ts},v1=${mac.toUpperCase()}`,
      `t=${ts},v1=${mac},v1=${other}`,
      `t=${ts},v1=${other},v1=${mac}`,
      `t=${ts},v1=${mac},v1=${mac}`,
      `t=${ts},v1=${mac},v0=${other}`,
      `t=0${ts},v1=${mac}`,
    ].map((v) => ({ 'stripe-signature': v }));
    const statuses = await deliver(flowId, spellings);
    expect(statuses[0]).toBe(202);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.every((s) => s === 202 || s === 401)).toBe(true);
    expect(await listRuns(t, a.ownerKey, flowId)).toHaveLength(1);
    // A genuinely new delivery (another timestamp) still runs.
    expect(await deliver(flowId, [signRequest('stripe', secret, body, ts + 1)])).toEqual([202]);
  });
});
