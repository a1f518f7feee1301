/** A pending OIDC authorization: what the callback needs, bound to the browser that started it. */
export interface OidcFlow {
  state: string;
  /** SHA-256 of the browser-binding cookie value. */
  bindingHash: Buffer;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

export interface SamlRequestRecord {
  createdAt: Date;
  returnTo: string;
  /** SHA-256 of the browser-binding cookie of the browser that started the login (null: none recorded). */
  bindingHash: Buffer | null;
}

/**
 * Short-lived sign-in state shared by every instance: SAML request ids (InResponseTo), assertion ids already
 * accepted (replay), and OIDC flows. Everything is keyed by org, so one org's state never satisfies another's.
 * `take*` and `markAssertionSeen` are atomic: of two concurrent callers exactly one wins.
 */
export abstract class SsoStateStore {
  abstract saveSamlRequest(
    orgId: string,
    requestId: string,
    request: { returnTo: string; bindingHash: Buffer },
    ttlMs: number,
  ): Promise<void>;
  abstract getSamlRequest(orgId: string, requestId: string): Promise<SamlRequestRecord | null>;
  /** Removes the request and returns it if it was still pending (single use). */
  abstract takeSamlRequest(orgId: string, requestId: string): Promise<SamlRequestRecord | null>;
  abstract assertionSeen(orgId: string, assertionId: string): Promise<boolean>;
  /** Records an accepted assertion id until `expiresAt`; false if it was already recorded (a replay). */
  abstract markAssertionSeen(orgId: string, assertionId: string, expiresAt: Date): Promise<boolean>;
  abstract saveOidcFlow(orgId: string, flow: OidcFlow, ttlMs: number): Promise<void>;
  abstract takeOidcFlow(orgId: string, state: string): Promise<OidcFlow | null>;
}
