const BASE = 'http://return-to.invalid';
const MAX_DECODES = 4;
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

/**
 * A same-origin relative path, refused (never "fixed") unless it stays one however it is read. Browsers drop tabs
 * and newlines, treat "\" as "/", and resolve dot segments, so `/%09/x`, `/.//x` or `/%2e%2e//x` can land on
 * `//x` (another site). The value and each percent-decoding of it must: start with one "/", hold no control
 * characters or backslashes, and keep a path not starting with "//" after dot-segment normalisation.
 * Used for `returnTo` (OIDC, SAML SP-initiated) and SAML `RelayState`.
 */
export function isSafeReturnTo(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return false;
  let current = value;
  for (let i = 0; i <= MAX_DECODES; i++) {
    if (!isSafeLayer(current)) return false;
    const next = decodeOnce(current);
    if (next === null) return false;
    if (next === current) return true;
    current = next;
  }
  // Still changing after several decodings: nothing legitimate is encoded that deep.
  return false;
}

function isSafeLayer(value: string): boolean {
  if (!value.startsWith('/') || value.startsWith('//') || FORBIDDEN.test(value)) return false;
  try {
    const url = new URL(value, BASE);
    return url.origin === BASE && !url.pathname.startsWith('//');
  } catch {
    return false;
  }
}

function decodeOnce(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
