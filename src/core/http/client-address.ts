import type { IncomingMessage } from 'node:http';

/** Express's compiled `trust proxy` check (`app.get('trust proxy fn')`): is the address at this hop a trusted proxy? */
export type TrustProxyFn = (addr: string, hop: number) => boolean;

/**
 * `TENANTFLOW_TRUST_PROXY` as Express's `trust proxy` value: "false"/"true", a hop count, or addresses and subnets
 * ("loopback", "10.0.0.0/8, fd00::/8").
 */
export function trustProxyValue(setting: string): boolean | number | string {
  const v = setting.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

/**
 * The client address exactly as Express's `req.ip` derives it, for paths served outside Express (`/hooks`): the
 * socket peer, unless it is a trusted proxy, in which case the next `X-Forwarded-For` entry from the right, and so
 * on while each hop is trusted. With nothing trusted (the default) the header is ignored.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxyFn): string | undefined {
  const peer = req.socket.remoteAddress;
  if (!peer) return undefined;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  const addrs = [peer, ...forwarded];
  for (let hop = 0; hop < addrs.length - 1; hop++) if (!trust(addrs[hop], hop)) return addrs[hop];
  return addrs[addrs.length - 1];
}
