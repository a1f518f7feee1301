import * as client from 'openid-client';
import { SsoLoginFailure } from '../sso.exception.js';
import type { VerifiedIdentity } from '../sso.types.js';
import type { OidcClient } from './oidc-clients.js';

interface GithubUser {
  id?: unknown;
  login?: unknown;
  name?: unknown;
}
interface GithubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

const MAX_BODY = 256 * 1024;

async function getJson<T>(oc: OidcClient, accessToken: string, path: string): Promise<T> {
  const headers = new Headers({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });
  const res = await client.fetchProtectedResource(
    oc.config,
    accessToken,
    new URL(`${oc.githubApi}${path}`),
    'GET',
    undefined,
    headers,
  );
  if (!res.ok)
    throw new SsoLoginFailure(
      res.status >= 500 ? 'idp_unavailable' : 'token_invalid',
      `github ${path} answered ${res.status}`,
    );
  const text = await res.text();
  if (text.length > MAX_BODY) throw new SsoLoginFailure('token_invalid', `github ${path} body too large`);
  return JSON.parse(text) as T;
}

/**
 * GitHub is plain OAuth2: the subject is the numeric account id (logins can be renamed and reused), the email is
 * the primary address only if GitHub marks it verified. Team membership is not read (no groups).
 */
export async function fetchGithubIdentity(oc: OidcClient, accessToken: string): Promise<VerifiedIdentity> {
  const user = await getJson<GithubUser>(oc, accessToken, '/user');
  if (typeof user.id !== 'number' && typeof user.id !== 'string')
    throw new SsoLoginFailure('missing_subject', 'github user without id');
  const emails = await getJson<GithubEmail[]>(oc, accessToken, '/user/emails');
  const primary = Array.isArray(emails)
    ? emails.find((e) => e.primary === true && typeof e.email === 'string')
    : undefined;
  return {
    provider: 'github',
    issuer: oc.config.serverMetadata().issuer,
    subject: String(user.id),
    email: primary ? (primary.email as string) : null,
    emailVerified: primary?.verified === true,
    displayName:
      typeof user.name === 'string' && user.name ? user.name : typeof user.login === 'string' ? user.login : null,
    groups: [],
  };
}
