import { BlockList, isIP } from 'node:net';
import { definePlugin } from 'tenantflow/plugin-sdk';

/** Settings: the addresses and CIDR ranges an org's API credentials may be used from. */
export interface IpAllowlistConfig {
  allow: string[];
}

function allowed(ip: string, entries: string[]): boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(addr)) continue;
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return isIP(plain) !== 0 && list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
}

/** `onRequest`: API requests of the org from an address outside its allowlist are answered 403 at once. */
export default definePlugin<IpAllowlistConfig>({
  name: 'ip-allowlist',
  version: '1.0.0',
  priority: 10,
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['allow'],
    properties: {
      allow: { type: 'array', maxItems: 200, items: { type: 'string', pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' } },
    },
  },
  hooks: {
    onRequest(ctx) {
      if (allowed(ctx.request.ip, ctx.config.allow)) return { action: 'continue' };
      return {
        action: 'answer',
        status: 403,
        headers: { 'content-type': 'application/problem+json' },
        body: {
          type: 'about:blank',
          title: 'Forbidden',
          status: 403,
          code: 'ip_not_allowed',
          detail: 'This address may not use the API of this organization',
        },
      };
    },
  },
});
