import type { Response } from 'express';
import type { OpenedSsoSession, SsoSessionIssuer } from '../accounts/identity-ports.js';

/** Sets the session cookie and sends the browser to its (already validated, relative) destination. */
export function finishSignIn(
  res: Response,
  sessions: SsoSessionIssuer,
  session: OpenedSsoSession,
  returnTo: string,
): void {
  res.cookie(sessions.cookieName, session.token, sessions.cookieOptions(session.expiresAt));
  res.setHeader('Cache-Control', 'no-store');
  // 303: the browser follows with a GET (the ACS is a POST), and a SameSite=Lax cookie is sent on it.
  res.redirect(303, returnTo);
}
