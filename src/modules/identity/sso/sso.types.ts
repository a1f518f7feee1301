/** Shapes shared by the SSO configuration, the protocol handlers and account resolution. */
export type SsoProtocol = 'saml' | 'oidc';
export type OidcPreset = 'oidc' | 'google' | 'github';
/** The provider recorded on an identity link and in sign-in events. */
export type SsoProvider = 'saml' | OidcPreset;

export interface RoleMapping {
  group: string;
  role: string;
}

/** What every protocol's role and account rules share. */
export interface AccountRules {
  defaultRole: string | null;
  roleMappings: RoleMapping[];
  /** Link an existing user by email (only when the IdP marks the address verified). */
  linkByEmail: boolean;
}

export interface SamlSettings extends AccountRules {
  idpEntityId: string;
  ssoUrl: string;
  idpCerts: string[];
  allowIdpInitiated: boolean;
  groupsAttribute: string;
  emailAttribute: string | null;
  displayNameAttribute: string | null;
  maxAssertionAgeSeconds: number;
  clockSkewSeconds: number;
}

export interface OidcSettings extends AccountRules {
  provider: OidcPreset;
  issuer: string | null;
  clientId: string;
  scopes: string[];
  groupsClaim: string;
}

/** A stored configuration as the sign-in handlers see it (secret decrypted only where needed). */
export interface SsoConfigRecord<S> {
  id: string;
  orgId: string;
  enabled: boolean;
  settings: S;
  updatedAt: Date;
}

/** The identity an IdP vouched for, after protocol validation. */
export interface VerifiedIdentity {
  provider: SsoProvider;
  /** SAML IdP entity ID, OIDC issuer or GitHub base URL: subjects are unique only within it. */
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  displayName: string | null;
  groups: string[];
}

export const BUILT_IN_ROLE_NAMES = ['owner', 'admin', 'editor', 'viewer'] as const;
