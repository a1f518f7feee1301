import { X509Certificate } from 'node:crypto';

const PEM_RE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;

export type CertCheck = { ok: true; pem: string; notAfter: Date } | { ok: false; message: string };

/**
 * Checks an IdP signing certificate before it is stored: one PEM certificate that parses, is currently valid and
 * carries a key strong enough to trust (RSA >= 2048 bits). Its public key is what signatures are checked
 * against; the certificate chain is not (SAML trust is this configured key, never a certificate in the message).
 */
export function checkIdpCert(input: string, now = new Date()): CertCheck {
  const trimmed = input.trim();
  if (!PEM_RE.test(trimmed)) return { ok: false, message: 'must be one PEM certificate (-----BEGIN CERTIFICATE-----)' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(trimmed);
  } catch {
    return { ok: false, message: 'is not a parsable X.509 certificate' };
  }
  const notAfter = new Date(cert.validTo);
  if (!(notAfter.getTime() > now.getTime())) return { ok: false, message: 'has expired' };
  const key = cert.publicKey;
  // XML signatures are verified with RSA (xml-crypto has no ECDSA): anything else could never sign in.
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, message: 'key must be RSA' };
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
    return { ok: false, message: 'RSA key must be at least 2048 bits' };
  return { ok: true, pem: cert.toString().trim(), notAfter };
}

/** https only outside development; no credentials or fragment in the URL. */
export function checkIdpUrl(input: string, allowHttp: boolean): string | null {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    return allowHttp ? 'must be an http(s) URL' : 'must be an https URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hash) return 'must not contain a fragment';
  return null;
}
