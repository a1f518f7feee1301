const BASE = 'http://return-to.invalid';

/**
 * A same-origin relative path: starts with one "/", no scheme, no "//" or "/\" (protocol-relative), no control
 * characters or backslashes anywhere (browsers treat "\" as "/"). Anything else is refused, never "fixed".
 */
export function isSafeReturnTo(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return false;
  if (!value.startsWith('/') || value.startsWith('//')) return false;
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return false;
  try {
    return new URL(value, BASE).origin === BASE;
  } catch {
    return false;
  }
}
