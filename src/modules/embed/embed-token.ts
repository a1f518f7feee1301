import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK } from 'jose';
import type { EmbedAlg } from './embed-key-material.js';

/** Why a token was refused (audited as `embed.token_refused`; the caller only ever sees 401). */
export type RefusalReason =
  | 'malformed'
  | 'unknown_issuer'
  | 'unknown_kid'
  | 'bad_signature'
  | 'alg_not_allowed'
  | 'expired'
  | 'exp_too_far'
  | 'missing_claims'
  | 'role_not_allowed'
  | 'replayed'
  | 'org_suspended'
  | 'user_inactive'
  | 'invalid_claims';

export interface EmbedClaims {
  sub: string;
  externalProjectId: string;
  role: 'editor' | 'viewer';
  jti: string;
  exp: number;
}

export class TokenRefused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason);
  }
}

export const MAX_TOKEN_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 5;
const ID = /^[\s\S]{1,256}$/;

/** Header and issuer, unverified: only to find the org and its key (nothing is trusted before verification). */
export function peek(token: string): { kid: string; iss: string } {
  try {
    const header = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    if (typeof header.kid !== 'string' || typeof payload.iss !== 'string') throw new TokenRefused('missing_claims');
    return { kid: header.kid, iss: payload.iss };
  } catch (e) {
    throw e instanceof TokenRefused ? e : new TokenRefused('malformed');
  }
}

/**
 * Verifies a token with the org's key: the algorithm is the key's, never the token header's (so `alg: none` and an
 * HS256 token keyed with the public key both fail), the issuer must name the org, `exp` must lie at most five
 * minutes ahead, and the claims must have their shapes.
 */
export async function verifyEmbedToken(
  token: string,
  key: { alg: EmbedAlg; jwk: JWK },
  issuers: string[],
): Promise<EmbedClaims> {
  let payload: Record<string, unknown>;
  try {
    const publicKey = await importJWK({ ...key.jwk, alg: key.alg }, key.alg);
    ({ payload } = await jwtVerify(token, publicKey, {
      algorithms: [key.alg],
      issuer: issuers,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'sub', 'jti'],
    }));
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw new TokenRefused('expired');
    if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported)
      throw new TokenRefused('alg_not_allowed');
    if (e instanceof errors.JWSSignatureVerificationFailed) throw new TokenRefused('bad_signature');
    if (e instanceof errors.JWTClaimValidationFailed)
      throw new TokenRefused(e.claim === 'iss' ? 'unknown_issuer' : 'missing_claims');
    throw new TokenRefused('malformed');
  }
  const { sub, externalProjectId, role, jti, exp } = payload;
  if (typeof exp !== 'number' || exp > Date.now() / 1000 + MAX_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S)
    throw new TokenRefused('exp_too_far');
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof externalProjectId !== 'string')
    throw new TokenRefused('missing_claims');
  if (!ID.test(sub) || !ID.test(jti) || !ID.test(externalProjectId)) throw new TokenRefused('invalid_claims');
  if (role !== 'editor' && role !== 'viewer') throw new TokenRefused('role_not_allowed');
  return { sub, externalProjectId, role, jti, exp };
}
