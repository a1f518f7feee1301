import { Database } from '../../src/core/database/database.js';
import { SESSION_COOKIE, SessionsService, UsersService, type SessionMethod } from '../../src/modules/identity/index.js';
import type { TestApp } from './test-app.js';

export interface TestSession {
  userId: string;
  token: string;
  csrfToken: string;
  expiresAt: Date;
  /** `Cookie` only: enough for safe methods. */
  cookie: Record<string, string>;
  /** `Cookie` and `X-CSRF-Token`: what a browser page sends on unsafe methods. */
  headers: Record<string, string>;
}

let seq = 0;

/** Opens a session for an existing user directly through SessionsService (no sign-in flow). */
export async function openSession(
  t: TestApp,
  orgId: string,
  userId: string,
  method: SessionMethod = 'test',
): Promise<TestSession> {
  const s = await t.server.app
    .get(SessionsService)
    .open({ orgId, userId, method, ip: '127.0.0.1', userAgent: 'vitest' });
  const cookie = { Cookie: `${SESSION_COOKIE}=${s.token}` };
  return {
    userId,
    token: s.token,
    csrfToken: s.csrfToken,
    expiresAt: s.expiresAt,
    cookie,
    headers: { ...cookie, 'X-CSRF-Token': s.csrfToken },
  };
}

/** Creates a user with `role` (built-in name or custom role id) through UsersService. */
export async function createUser(
  t: TestApp,
  orgId: string,
  role: string,
  email = `user${seq++}-${Date.now().toString(36)}@example.test`,
): Promise<string> {
  const users = t.server.app.get(UsersService);
  const user = await t.server.app.get(Database).withOrg(orgId, (em) => users.createInTx(em, { orgId, email, role }));
  return user.id;
}

/** A new user with `role` and an open session for them. */
export async function userSession(t: TestApp, orgId: string, role: string): Promise<TestSession> {
  return openSession(t, orgId, await createUser(t, orgId, role));
}
