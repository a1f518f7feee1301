import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OrgRuntimeCache } from '../../src/modules/execution/index.js';
import type { TestApp } from './test-app.js';

export interface HoldServer {
  server: Server;
  /** A URL on 127.0.0.2 (open it to an org with `allowHoldServer`). */
  url: string;
  /** Resolves once the next request (in arrival order) has reached the server. */
  arrived(): Promise<void>;
  /** Answers every held request with 200 `{"released":true}`. */
  release(): void;
  close(): void;
}

/**
 * An HTTP server that holds every request until released: a run whose http.request node calls it is provably
 * running (the server saw the request) for as long as the test needs, with no busy loop and no clock.
 */
export async function holdServer(): Promise<HoldServer> {
  const held: ServerResponse[] = [];
  let arrivals = 0;
  let seen = 0;
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    held.push(res);
    arrivals++;
    server.emit('held');
  });
  server.listen(0, '127.0.0.2');
  await once(server, 'listening');
  const release = () =>
    held
      .splice(0)
      .forEach((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"released":true}'));
  return {
    server,
    url: `http://127.0.0.2:${(server.address() as AddressInfo).port}/hold`,
    arrived: async () => {
      while (arrivals <= seen) await once(server, 'held');
      seen++;
    },
    release,
    close: () => {
      release();
      server.close();
    },
  };
}

/**
 * Opens 127.0.0.2 (where hold servers listen) in the org's egress allowlist. The platform route does not take
 * settings yet, so the row is written directly and the execution's cached copy of it dropped.
 */
export async function allowHoldServer(t: TestApp, orgId: string): Promise<void> {
  await t.server.deps.db.systemQuery(
    `UPDATE organization SET settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{egressAllowlist}', '["127.0.0.2/32"]'::jsonb) WHERE id = $1`,
    [orgId],
  );
  t.server.app.get(OrgRuntimeCache).forget(orgId);
}

/** An http.request node that waits on the hold server. */
export const holdNode = (hold: HoldServer, id = 'hold') => ({
  id,
  type: 'http.request',
  params: { method: 'GET', url: hold.url, timeoutMs: 120_000 },
});
