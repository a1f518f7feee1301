import type { Response, Test } from 'supertest';
import type { TestApp } from '../utils/test-app.js';

/** A credential whose key id is known (so the expected actor can be named). */
export interface Credential {
  id: string;
  key: string;
}

export interface WalkerContext {
  t: TestApp;
  /** The org the owner and viewer keys belong to. */
  org: { id: string; slug: string };
  owner: Credential;
  viewer: Credential;
  platform: Credential;
  /** A unique suffix for names and slugs. */
  unique(prefix?: string): string;
}

export interface ExpectedEntry {
  /** `null` for the platform chain. */
  orgId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  actor: { type: string; id: string | null };
  outcome?: 'success' | 'failure' | 'denied';
}

/**
 * How to call one mutating route successfully and what it must audit. One file per module,
 * `test/audit-fixtures/<module>.fixtures.ts`, exporting `fixtures`. The walker fails on a mutating route
 * without a fixture, so a new route is covered the day it appears.
 */
export interface RouteFixture<S = unknown> {
  /** `METHOD /path/:param`, exactly as the Express router lists it (e.g. `PATCH /api/v1/projects/:projectId`). */
  route: string;
  /** Set (with the reason) for a mutating route that writes no entry, e.g. a read served over POST. */
  notAudited?: string;
  /** Who makes the successful call (default the org owner key). */
  as?: 'owner' | 'platform';
  /** Creates what the call needs; its own entries are written before the walker starts counting. */
  prepare?(ctx: WalkerContext): Promise<S>;
  /** Issues the request with `credential` (the viewer's for the 403 case). */
  call(ctx: WalkerContext, state: S, credential: Credential): Test;
  /** The success status when it is not a 2xx (e.g. 303 for a browser sign-in); otherwise any 2xx. */
  status?: number;
  /**
   * The entries a successful call must write, and nothing else. Usually exactly one. May look up, after the call,
   * ids the response does not carry (e.g. the row id of a project membership).
   */
  expect?(ctx: WalkerContext, state: S, res: Response): ExpectedEntry[] | Promise<ExpectedEntry[]>;
  /** Set (with the reason) when a viewer is not refused here: public routes, routes every role may call. */
  noDenial?: string;
}

export const bearerOf = (c: Credential): Record<string, string> => ({ Authorization: `Bearer ${c.key}` });
