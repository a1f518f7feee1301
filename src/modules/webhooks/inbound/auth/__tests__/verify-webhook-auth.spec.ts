import { describe, expect, it } from 'vitest';
import { signRequest } from '../hmac-signature.js';
import { MemoryReplayCache } from '../replay-cache.js';
import { checkHandshake, verifyWebhookAuth, type WebhookRequestView } from '../verify-webhook-auth.js';

const SECRET = 'whsec_test_0123456789';
const body = Buffer.from('{"event":"paid","amount":42}');
const now = Date.now();
const ts = Math.floor(now / 1000);

const req = (headers: Record<string, string>, raw = body): WebhookRequestView => ({
  method: 'POST',
  headers,
  rawBody: raw,
  query: {},
});
const deps = (replay = new MemoryReplayCache()) => ({
  secretValue: async (v: string) => (v === '{{ secrets.env.hooks#key }}' ? SECRET : v),
  replay,
  scope: 'flow-1',
  nowMs: () => now,
});

describe('webhook auth: none, header, basic', () => {
  it('checks a shared header value (secret references resolved)', async () => {
    const auth = { mode: 'header' as const, name: 'X-Token', value: '{{ secrets.env.hooks#key }}' };
    expect(await verifyWebhookAuth(auth, req({ 'x-token': SECRET }), deps())).toEqual({ ok: true });
    expect(await verifyWebhookAuth(auth, req({ 'x-token': 'nope' }), deps())).toEqual({
      ok: false,
      reason: 'bad_credentials',
    });
    expect(await verifyWebhookAuth(auth, req({}), deps())).toEqual({ ok: false, reason: 'missing_credentials' });
    expect(await verifyWebhookAuth({ mode: 'none' }, req({}), deps())).toEqual({ ok: true });
  });

  it('checks basic credentials; an unresolvable secret refuses', async () => {
    const auth = { mode: 'basic' as const, username: 'hook', password: 'p4ss:word' };
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect(await verifyWebhookAuth(auth, req(basic('hook', 'p4ss:word')), deps())).toEqual({ ok: true });
    expect((await verifyWebhookAuth(auth, req(basic('hook', 'wrong')), deps())).ok).toBe(false);
    expect((await verifyWebhookAuth(auth, req(basic('other', 'p4ss:word')), deps())).ok).toBe(false);
    expect((await verifyWebhookAuth(auth, req({ authorization: 'Bearer x' }), deps())).ok).toBe(false);
    const broken = {
      secretValue: async () => {
        throw new Error('vault down');
      },
      replay: new MemoryReplayCache(),
      scope: 'f',
    };
    expect(await verifyWebhookAuth(auth, req(basic('hook', 'p4ss:word')), broken)).toEqual({
      ok: false,
      reason: 'misconfigured',
    });
  });
});

describe('webhook auth: hmac', () => {
  const generic = { mode: 'hmac' as const, secret: '{{ secrets.env.hooks#key }}' };

  it('accepts a valid generic signature once; refuses wrong, stale, missing and replayed', async () => {
    const d = deps();
    const good = signRequest('generic', SECRET, body, ts);
    expect(await verifyWebhookAuth(generic, req(good), d)).toEqual({ ok: true });
    expect(await verifyWebhookAuth(generic, req(good), d)).toEqual({ ok: false, reason: 'replayed' });
    expect(await verifyWebhookAuth(generic, req(signRequest('generic', 'other-secret', body, ts)), d)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyWebhookAuth(generic, req(good, Buffer.from('{"event":"paid","amount":4200}')), deps())).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyWebhookAuth(generic, req(signRequest('generic', SECRET, body, ts - 301)), d)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(await verifyWebhookAuth(generic, req(signRequest('generic', SECRET, body, ts + 301)), d)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(await verifyWebhookAuth(generic, req({ 'x-signature': good['x-signature'] }), d)).toEqual({
      ok: false,
      reason: 'missing_credentials',
    });
    // The timestamp is signed: moving it breaks the signature.
    expect(await verifyWebhookAuth(generic, req({ ...good, 'x-timestamp': String(ts + 1) }), d)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('honours tolerance, algorithm, encoding and prefix settings', async () => {
    const auth = {
      ...generic,
      toleranceSeconds: 10,
      algorithm: 'sha512' as const,
      encoding: 'base64' as const,
      signaturePrefix: 'v1=',
    };
    const mac = (t: number) => {
      const hex = signRequest('generic', SECRET, body, t, 'sha512')['x-signature'];
      return { 'x-timestamp': String(t), 'x-signature': `v1=${Buffer.from(hex, 'hex').toString('base64')}` };
    };
    expect(await verifyWebhookAuth(auth, req(mac(ts - 5)), deps())).toEqual({ ok: true });
    expect(await verifyWebhookAuth(auth, req(mac(ts - 11)), deps())).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('supports Stripe-style headers (t=…,v1=…) and GitHub-style (sha256=… over the body)', async () => {
    const stripe = { mode: 'hmac' as const, secret: SECRET, signatureHeader: 'Stripe-Signature' };
    const s = signRequest('stripe', SECRET, body, ts);
    expect(await verifyWebhookAuth(stripe, req(s), deps())).toEqual({ ok: true });
    expect(
      await verifyWebhookAuth(
        stripe,
        req({ 'stripe-signature': `t=${ts},v1=${'0'.repeat(64)},${s['stripe-signature'].split(',')[1]}` }),
        deps(),
      ),
    ).toEqual({ ok: true });
    expect(await verifyWebhookAuth(stripe, req(signRequest('stripe', SECRET, body, ts - 1000)), deps())).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    const github = { mode: 'hmac' as const, secret: SECRET, signatureHeader: 'X-Hub-Signature-256' };
    const d = deps();
    const g = signRequest('github', SECRET, body);
    expect(await verifyWebhookAuth(github, req(g), d)).toEqual({ ok: true });
    expect(await verifyWebhookAuth(github, req(g), d)).toEqual({ ok: false, reason: 'replayed' });
    expect(await verifyWebhookAuth(github, req({ 'x-hub-signature-256': 'sha256=abcd' }), d)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('keys replays on the signed bytes: a re-spelled signature is the same delivery; loose forms are refused', async () => {
    const d = deps();
    const good = signRequest('generic', SECRET, body, ts);
    expect(await verifyWebhookAuth(generic, req(good), d)).toEqual({ ok: true });
    expect(
      await verifyWebhookAuth(generic, req({ ...good, 'x-signature': good['x-signature'].toUpperCase() }), d),
    ).toEqual({ ok: false, reason: 'replayed' });
    expect(await verifyWebhookAuth(generic, req({ ...good, 'x-timestamp': `0${ts}` }), d)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(
      await verifyWebhookAuth(generic, req({ ...good, 'x-signature': `${good['x-signature']}00` }), deps()),
    ).toEqual({ ok: false, reason: 'bad_signature' });
    const stripe = { mode: 'hmac' as const, secret: SECRET, signatureHeader: 'Stripe-Signature' };
    const s = signRequest('stripe', SECRET, body, ts)['stripe-signature'];
    const [t, v1] = s.split(',');
    for (const loose of [
      `${t}, ${v1}`,
      `${t},${v1.toUpperCase().replace('V1', 'v1')}`,
      `${t},${t},${v1}`,
      `${t},v1=`,
      `${v1}`,
    ]) {
      expect(await verifyWebhookAuth(stripe, req({ 'stripe-signature': loose }), deps())).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
    const sd = deps();
    expect(await verifyWebhookAuth(stripe, req({ 'stripe-signature': s }), sd)).toEqual({ ok: true });
    expect(await verifyWebhookAuth(stripe, req({ 'stripe-signature': `${v1},${t}` }), sd)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(await verifyWebhookAuth(stripe, req({ 'stripe-signature': `${s},v1=${'0'.repeat(64)}` }), sd)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    const github = { mode: 'hmac' as const, secret: SECRET, signatureHeader: 'X-Hub-Signature-256' };
    const g = signRequest('github', SECRET, body)['x-hub-signature-256'];
    expect(await verifyWebhookAuth(github, req({ 'x-hub-signature-256': g.toUpperCase() }), deps())).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      await verifyWebhookAuth(github, req({ 'x-hub-signature-256': `sha256=${g.slice(7).toUpperCase()}` }), deps()),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('keeps replay windows per flow', async () => {
    const replay = new MemoryReplayCache();
    const good = signRequest('generic', SECRET, body, ts);
    expect((await verifyWebhookAuth(generic, req(good), { ...deps(replay), scope: 'flow-a' })).ok).toBe(true);
    expect((await verifyWebhookAuth(generic, req(good), { ...deps(replay), scope: 'flow-b' })).ok).toBe(true);
  });
});

describe('webhook handshake', () => {
  const d = deps();
  it('answers a challenge authenticated by its verify token, and refuses a wrong token', async () => {
    const hs = {
      source: 'query' as const,
      challengeField: 'hub.challenge',
      verifyTokenField: 'hub.verify_token',
      verifyToken: '{{ secrets.env.hooks#key }}',
    };
    const q = (query: Record<string, string>): WebhookRequestView => ({
      method: 'GET',
      headers: {},
      rawBody: Buffer.alloc(0),
      query,
    });
    expect(await checkHandshake(hs, q({ 'hub.challenge': 'abc', 'hub.verify_token': SECRET }), d)).toEqual({
      kind: 'answer',
      challenge: 'abc',
      authenticated: true,
    });
    expect(await checkHandshake(hs, q({ 'hub.challenge': 'abc', 'hub.verify_token': 'x' }), d)).toEqual({
      kind: 'refused',
    });
    expect(await checkHandshake(hs, q({}), d)).toEqual({ kind: 'none' });
    const slack = { source: 'body' as const, challengeField: 'challenge' };
    expect(await checkHandshake(slack, { ...q({}), body: { type: 'url_verification', challenge: 'xyz' } }, d)).toEqual({
      kind: 'answer',
      challenge: 'xyz',
      authenticated: false,
    });
  });
});
