import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { EgressDeniedError, type EgressPolicy, type EgressResolver, systemResolver } from '../../egress/index.js';

/**
 * HTTP(S) agents for the real Vault and AWS clients that enforce the org's egress policy on every socket they open:
 * a host name is resolved once and refused if any of its addresses is forbidden, and the socket connects only to the
 * addresses just checked (no second DNS answer, so no rebinding); an IP literal is checked before connecting. Because
 * the check sits at the socket, it also covers redirects the client follows and any retry, without modifying the
 * clients: node-vault takes the agents through its `requestOptions`, the AWS SDK through its `requestHandler`.
 */
export interface GuardedAgents {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
}

export interface GuardOptions {
  policy: EgressPolicy;
  resolver?: EgressResolver;
  /** Extra trusted CA certificates (PEM) for https, e.g. a private Vault's. */
  ca?: string;
}

function refused(host: string): EgressDeniedError {
  return new EgressDeniedError(
    'address_forbidden',
    `Requests to ${host} are not allowed by the organization's egress policy.`,
  );
}

function guardedLookup(policy: EgressPolicy, resolver: EgressResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        if (addresses.length === 0 || addresses.some((a) => !policy.checkAddress(a.address, hostname).allowed)) {
          return callback(refused(hostname), '', 0);
        }
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = addresses.filter((a) => family === 0 || a.family === family);
        if (usable.length === 0)
          return callback(Object.assign(new Error('no checked address'), { code: 'ENOTFOUND' }), '', 0);
        if (options.all)
          return callback(
            null,
            usable.map((a) => ({ address: a.address, family: a.family })),
          );
        return callback(null, usable[0].address, usable[0].family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

type Create = (
  options: http.ClientRequestArgs,
  cb: (err: Error | null, socket?: Duplex) => void,
) => Duplex | null | undefined;

/** Wraps an agent's createConnection: literal addresses checked, names resolved through the guarded lookup. */
function guard(agent: http.Agent, policy: EgressPolicy, lookup: LookupFunction): void {
  const original = (agent.createConnection as unknown as Create).bind(agent);
  (agent as unknown as { createConnection: Create }).createConnection = (options, cb) => {
    const host = String(options.host ?? options.hostname ?? '').replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !policy.checkAddress(host).allowed) {
      process.nextTick(() => cb(refused(host)));
      return undefined;
    }
    return original({ ...options, lookup }, cb);
  };
}

/** A fresh pair of agents bound to one org's policy (never shared across orgs: no pooled socket crosses tenants). */
export function guardedAgents(opts: GuardOptions): GuardedAgents {
  const lookup = guardedLookup(opts.policy, opts.resolver ?? systemResolver);
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(opts.ca ? { ca: opts.ca } : {}) });
  guard(httpAgent, opts.policy, lookup);
  guard(httpsAgent, opts.policy, lookup);
  return { httpAgent, httpsAgent };
}
