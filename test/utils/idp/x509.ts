import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** Minimal DER writer: enough for a self-signed X.509 v3 certificate (no extensions). */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const int = (b: Buffer): Buffer => tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const NULL = Buffer.from([0x05, 0x00]);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift(0x80 | (v & 0x7f));
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const SHA256_RSA = '1.2.840.113549.1.1.11';

export interface TestKeyPair {
  privateKey: KeyObject;
  privateKeyPem: string;
  certPem: string;
}

/** A fresh RSA key and a self-signed certificate for it (test IdPs sign with these). */
export function selfSignedCert(
  opts: { cn?: string; bits?: number; notBefore?: Date; notAfter?: Date } = {},
): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: opts.bits ?? 2048 });
  const name = seq(set(seq(oid('2.5.4.3'), utf8(opts.cn ?? 'Tenantflow Test IdP'))));
  const alg = seq(oid(SHA256_RSA), NULL);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = opts.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  // A positive serial whose first byte is neither 0x00 (a non-minimal DER integer OpenSSL rejects: a 1-in-256
  // flake) nor >= 0x80 (negative).
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))),
    int(serial),
    alg,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const der = seq(tbs, alg, bitString(sign('sha256', tbs, privateKey)));
  const b64 = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
  };
}
