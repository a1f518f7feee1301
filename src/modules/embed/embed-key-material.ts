import { exportJWK, importJWK, importSPKI, type JWK } from 'jose';

export type EmbedAlg = 'RS256' | 'ES256';
export const EMBED_ALGS: readonly EmbedAlg[] = ['RS256', 'ES256'];

/**
 * The public JWK of a registered key, from PEM (SPKI) or JWK, checked against its algorithm: RS256 needs an RSA key
 * of at least 2048 bits, ES256 a P-256 key. A private key is refused outright (it must never be sent here).
 * Returns null with a reason when the key does not fit.
 */
export async function publicJwkOf(alg: EmbedAlg, key: unknown): Promise<{ jwk: JWK } | { problem: string }> {
  let imported: Awaited<ReturnType<typeof importJWK>>;
  try {
    if (typeof key === 'string') {
      if (/PRIVATE KEY/.test(key)) return { problem: 'is a private key; register the public key only' };
      imported = await importSPKI(key.trim(), alg, { extractable: true });
    } else if (key && typeof key === 'object' && !Array.isArray(key)) {
      const jwk = key as JWK;
      if (jwk.d !== undefined || jwk.p !== undefined || jwk.k !== undefined)
        return { problem: 'is a private or symmetric key; register the public key only' };
      imported = await importJWK({ ...jwk, alg }, alg, { extractable: true });
    } else {
      return { problem: 'must be a PEM public key or a JWK' };
    }
  } catch {
    return { problem: `is not a valid ${alg} public key` };
  }
  if (imported instanceof Uint8Array) return { problem: 'is a symmetric key' };
  const jwk = await exportJWK(imported);
  if (alg === 'RS256' && (jwk.kty !== 'RSA' || Buffer.from(jwk.n ?? '', 'base64url').length * 8 < 2048))
    return { problem: 'must be an RSA key of at least 2048 bits for RS256' };
  if (alg === 'ES256' && (jwk.kty !== 'EC' || jwk.crv !== 'P-256'))
    return { problem: 'must be a P-256 EC key for ES256' };
  const { kty, n, e, crv, x, y } = jwk;
  return {
    jwk: Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined)) as JWK,
  };
}
