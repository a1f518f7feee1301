import { CommonException, type FieldError } from '../../../../core/errors/app.exception.js';
import type { OidcSettings, SamlSettings } from '../sso.types.js';
import { checkIdpCert, checkIdpUrl } from './idp-cert.js';
import type { PutOidcConfigDto, PutSamlConfigDto } from './sso-config.dto.js';

export const GOOGLE_ISSUER = 'https://accounts.google.com';
const DEFAULT_SCOPES = {
  oidc: ['openid', 'email', 'profile'],
  google: ['openid', 'email', 'profile'],
  github: ['read:user', 'user:email'],
};

function fail(errors: FieldError[]): never {
  throw new CommonException('validation_failed', 'The SSO configuration is invalid', { errors });
}

/**
 * Only an owner may make the IdP hand out the owner role (an admin configuring SSO must not be able to promote
 * themselves through a group they control).
 */
function checkRoleGrants(
  dto: { defaultRole?: string | null; roleMappings?: { role: string }[] },
  callerRole: string | undefined,
  errors: FieldError[],
): void {
  if (callerRole === 'owner') return;
  if (dto.defaultRole === 'owner')
    errors.push({ path: 'defaultRole', message: 'only an owner may grant the owner role' });
  dto.roleMappings?.forEach((m, i) => {
    if (m.role === 'owner')
      errors.push({ path: `roleMappings.${i}.role`, message: 'only an owner may grant the owner role' });
  });
}

const normalizeRole = (role: string): string => (/^[0-9a-f-]{36}$/i.test(role) ? role.toLowerCase() : role);

export function toSamlSettings(dto: PutSamlConfigDto, opts: { allowHttp: boolean; callerRole?: string }): SamlSettings {
  const errors: FieldError[] = [];
  const urlError = checkIdpUrl(dto.ssoUrl, opts.allowHttp);
  if (urlError) errors.push({ path: 'ssoUrl', message: `ssoUrl ${urlError}` });
  const certs: string[] = [];
  dto.idpCerts.forEach((pem, i) => {
    const check = checkIdpCert(pem);
    if (check.ok) certs.push(check.pem);
    else errors.push({ path: `idpCerts.${i}`, message: `certificate ${check.message}` });
  });
  checkRoleGrants(dto, opts.callerRole, errors);
  if (errors.length) fail(errors);
  return {
    idpEntityId: dto.idpEntityId,
    ssoUrl: dto.ssoUrl,
    idpCerts: [...new Set(certs)],
    allowIdpInitiated: dto.allowIdpInitiated ?? false,
    defaultRole: dto.defaultRole ? normalizeRole(dto.defaultRole) : null,
    roleMappings: (dto.roleMappings ?? []).map((m) => ({ group: m.group, role: normalizeRole(m.role) })),
    linkByEmail: dto.linkByEmail ?? false,
    groupsAttribute: dto.groupsAttribute ?? 'groups',
    emailAttribute: dto.emailAttribute ?? null,
    displayNameAttribute: dto.displayNameAttribute ?? null,
    maxAssertionAgeSeconds: dto.maxAssertionAgeSeconds ?? 300,
    clockSkewSeconds: dto.clockSkewSeconds ?? 60,
  };
}

export function toOidcSettings(
  dto: PutOidcConfigDto,
  opts: { allowHttp: boolean; callerRole?: string; hasStoredSecret: boolean },
): OidcSettings {
  const errors: FieldError[] = [];
  let issuer: string | null = dto.issuer ?? null;
  if (dto.provider === 'oidc' && !issuer)
    errors.push({ path: 'issuer', message: 'issuer is required for generic OIDC' });
  if (dto.provider === 'google') {
    if (issuer && issuer !== GOOGLE_ISSUER)
      errors.push({ path: 'issuer', message: `google's issuer is ${GOOGLE_ISSUER}` });
    issuer = GOOGLE_ISSUER;
  }
  if (issuer) {
    const urlError = checkIdpUrl(issuer, opts.allowHttp);
    if (urlError) errors.push({ path: 'issuer', message: `issuer ${urlError}` });
    if (dto.provider === 'github' && /\?/.test(issuer))
      errors.push({ path: 'issuer', message: 'issuer must be a base URL' });
  }
  if (!dto.clientSecret && !opts.hasStoredSecret)
    errors.push({ path: 'clientSecret', message: 'clientSecret is required' });
  const scopes = dto.scopes ?? DEFAULT_SCOPES[dto.provider];
  if (dto.provider !== 'github' && !scopes.includes('openid'))
    errors.push({ path: 'scopes', message: 'scopes must include openid' });
  checkRoleGrants(dto, opts.callerRole, errors);
  if (errors.length) fail(errors);
  return {
    provider: dto.provider,
    // An OIDC issuer is an identifier compared exactly with the discovery document's; only GitHub's base URL is trimmed.
    issuer: dto.provider === 'github' && issuer ? issuer.replace(/\/+$/, '') : issuer,
    clientId: dto.clientId,
    scopes: [...new Set(scopes)],
    defaultRole: dto.defaultRole ? normalizeRole(dto.defaultRole) : null,
    roleMappings: (dto.roleMappings ?? []).map((m) => ({ group: m.group, role: normalizeRole(m.role) })),
    linkByEmail: dto.linkByEmail ?? false,
    groupsClaim: dto.groupsClaim ?? 'groups',
  };
}
