import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { clientAddress, trustProxyValue, type TrustProxyFn } from '../client-address.js';

/** Express's `req.ip` and our `clientAddress` (used by `/hooks`, outside Express) for one request. */
async function addresses(trust: string, xff?: string): Promise<{ express: string; ours: string }> {
  const app = express();
  app.set('trust proxy', trustProxyValue(trust));
  app.get('/', (req, res) => {
    res.json({ express: req.ip, ours: clientAddress(req, app.get('trust proxy fn') as TrustProxyFn) });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const req = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).get('/');
    return (await (xff ? req.set('X-Forwarded-For', xff) : req)).body;
  } finally {
    server.close();
  }
}

describe('client address', () => {
  it('trusts no proxy by default: X-Forwarded-For from the peer is ignored', async () => {
    expect(await addresses('false', '203.0.113.9')).toEqual({ express: '127.0.0.1', ours: '127.0.0.1' });
    expect(await addresses('', '203.0.113.9')).toEqual({ express: '127.0.0.1', ours: '127.0.0.1' });
  });

  it('with a trusted peer, takes the right-most address that is not itself trusted', async () => {
    expect(await addresses('loopback', '203.0.113.9')).toEqual({ express: '203.0.113.9', ours: '203.0.113.9' });
    // The client wrote its own left-most entry; only the hops the trusted proxies appended count.
    expect(await addresses('loopback', '198.51.100.1, 203.0.113.9')).toEqual({
      express: '203.0.113.9',
      ours: '203.0.113.9',
    });
    expect(await addresses('loopback, 203.0.113.0/24', '198.51.100.1, 203.0.113.9')).toEqual({
      express: '198.51.100.1',
      ours: '198.51.100.1',
    });
  });

  it('a peer outside the trusted list is the client, whatever it forwards', async () => {
    expect(await addresses('10.0.0.0/8', '203.0.113.9')).toEqual({ express: '127.0.0.1', ours: '127.0.0.1' });
  });

  it('reads a hop count as a number of trusted hops', async () => {
    expect(trustProxyValue('1')).toBe(1);
    expect(await addresses('1', '198.51.100.1, 203.0.113.9')).toEqual({ express: '203.0.113.9', ours: '203.0.113.9' });
  });
});
