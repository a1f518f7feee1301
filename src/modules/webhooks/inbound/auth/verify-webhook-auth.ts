import { safeEqual } from '../../../../core/crypto/tokens.js';
import type { WebhookAuth, WebhookHandshake } from '../../../flows/index.js';
import { DEFAULT_TOLERANCE_SECONDS, signatureMatches, signedParts } from './hmac-signature.js';
import type { ReplayCache } from './replay-cache.js';

/** What the verifiers read from a request. Header names are lower case. */
export interface WebhookRequestView {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  query: Record<string, unknown>;
  /** Parsed JSON body, if any (handshakes read a field of it). */
  body?: unknown;
}

export type AuthFailureReason =
  'missing_credentials' | 'bad_credentials' | 'bad_signature' | 'stale_timestamp' | 'replayed' | 'misconfigured';
export type AuthVerdict = { ok: true } | { ok: false; reason: AuthFailureReason };

export interface VerifyDeps {
  /** Turns a setting value into the secret it stands for (resolving `{{ secrets… }}` references). */
  secretValue(value: string): Promise<string>;
  replay: ReplayCache;
  /** Namespaces replay keys (the flow id): one flow's signatures never collide with another's. */
  scope: string;
  nowMs?: () => number;
}

const fail = (reason: AuthFailureReason): AuthVerdict => ({ ok: false, reason });
const OK: AuthVerdict = { ok: true };

function header(req: WebhookRequestView, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks a webhook request against its trigger's auth settings. Every comparison is constant-time; a setting that
 * cannot be read (e.g. an unresolvable secret) refuses (fail closed). For `hmac`, the order is signature, then
 * freshness, then replay, so unsigned traffic cannot fill the replay cache.
 */
export async function verifyWebhookAuth(
  auth: WebhookAuth,
  req: WebhookRequestView,
  deps: VerifyDeps,
): Promise<AuthVerdict> {
  switch (auth.mode) {
    case 'none':
      return OK;
    case 'header': {
      const got = header(req, auth.name);
      const expected = await readSecret(deps, auth.value);
      if (expected === null) return fail('misconfigured');
      if (got === undefined) return fail('missing_credentials');
      return safeEqual(got, expected) ? OK : fail('bad_credentials');
    }
    case 'basic':
      return verifyBasic(auth, req, deps);
    case 'hmac':
      return verifyHmac(auth, req, deps);
    default:
      return fail('misconfigured');
  }
}

async function readSecret(deps: Pick<VerifyDeps, 'secretValue'>, value: string | undefined): Promise<string | null> {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const v = await deps.secretValue(value);
    return v === '' ? null : v;
  } catch {
    return null;
  }
}

async function verifyBasic(
  auth: Extract<WebhookAuth, { mode: 'basic' }>,
  req: WebhookRequestView,
  deps: VerifyDeps,
): Promise<AuthVerdict> {
  const password = await readSecret(deps, auth.password);
  if (password === null) return fail('misconfigured');
  const h = header(req, 'authorization');
  const m = h ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h.trim()) : null;
  if (!m) return fail('missing_credentials');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return fail('bad_credentials');
  // Both halves are always compared, so timing does not reveal which one was wrong.
  const userOk = safeEqual(decoded.slice(0, colon), auth.username);
  const passOk = safeEqual(decoded.slice(colon + 1), password);
  return userOk && passOk ? OK : fail('bad_credentials');
}

async function verifyHmac(
  auth: Extract<WebhookAuth, { mode: 'hmac' }>,
  req: WebhookRequestView,
  deps: VerifyDeps,
): Promise<AuthVerdict> {
  const secret = await readSecret(deps, auth.secret);
  if (secret === null) return fail('misconfigured');
  const parts = signedParts(auth, req.headers, req.rawBody);
  if (parts === 'missing') return fail('missing_credentials');
  if (parts === 'malformed') return fail('bad_signature');
  if (!signatureMatches(auth, secret, parts)) return fail('bad_signature');
  const toleranceMs = (auth.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000;
  const now = (deps.nowMs ?? Date.now)();
  if (parts.timestamp !== null && Math.abs(now - parts.timestamp * 1000) > toleranceMs) return fail('stale_timestamp');
  // Remember for twice the window: a timestamp may be up to one window in the future or the past.
  const fresh = await deps.replay.firstSeen(`${deps.scope}\u0000${parts.replayKey}`, 2 * toleranceMs);
  return fresh ? OK : fail('replayed');
}

export type HandshakeVerdict =
  { kind: 'none' } | { kind: 'answer'; challenge: string; authenticated: boolean } | { kind: 'refused' };

/**
 * A provider's verification challenge (e.g. `hub.challenge`, Slack's `challenge`): answered without a run.
 * With a verify token configured, the token authenticates the handshake; without one, the caller must still pass
 * the trigger's normal auth (`authenticated: false`).
 */
export async function checkHandshake(
  hs: WebhookHandshake | undefined,
  req: WebhookRequestView,
  deps: Pick<VerifyDeps, 'secretValue'>,
): Promise<HandshakeVerdict> {
  if (!hs) return { kind: 'none' };
  const source = hs.source === 'query' ? req.query : req.body;
  const field = (name: string): unknown =>
    source && typeof source === 'object' && !Array.isArray(source) && Object.prototype.hasOwnProperty.call(source, name)
      ? (source as Record<string, unknown>)[name]
      : undefined;
  const challenge = field(hs.challengeField);
  if (typeof challenge !== 'string' || challenge === '' || challenge.length > 1024) return { kind: 'none' };
  if (!hs.verifyTokenField || hs.verifyToken === undefined) return { kind: 'answer', challenge, authenticated: false };
  const expected = await readSecret(deps, hs.verifyToken);
  const got = field(hs.verifyTokenField);
  if (expected === null || typeof got !== 'string' || !safeEqual(got, expected)) return { kind: 'refused' };
  return { kind: 'answer', challenge, authenticated: true };
}
