import { describe, expect, it } from 'vitest';
import { type AddressCategory, classifyAddress, EgressPolicy, isAddressAllowed } from '../index.js';

describe('classifyAddress', () => {
  const table: [string, AddressCategory, string?][] = [
    // Public
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.215.14', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    // IPv4 special-purpose
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'carrier_grade_nat'],
    ['100.127.255.255', 'carrier_grade_nat'],
    ['169.254.0.1', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'], // TEST-NET-1
    ['198.51.100.1', 'reserved'], // TEST-NET-2
    ['203.0.113.1', 'reserved'], // TEST-NET-3
    ['198.18.0.1', 'reserved'], // benchmarking
    ['198.19.255.255', 'reserved'],
    ['192.88.99.1', 'reserved'], // 6to4 relay anycast
    // Cloud metadata
    ['169.254.169.254', 'cloud_metadata'],
    ['169.254.170.2', 'cloud_metadata'],
    ['100.100.100.200', 'cloud_metadata'],
    ['192.0.0.192', 'cloud_metadata'],
    ['fd00:ec2::254', 'cloud_metadata'],
    // IPv6 special-purpose
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'private'], // deprecated site-local
    ['2001:db8::1', 'reserved'], // documentation
    ['2001:2::1', 'reserved'], // benchmarking
    ['100::1', 'reserved'], // discard-only
    ['64:ff9b:1::a00:1', 'reserved'], // local-use NAT64
    ['3fff::1', 'reserved'], // documentation (RFC 9637)
    ['4000::1', 'reserved'], // outside 2000::/3
    // IPv6 forms that embed an IPv4 address are judged by it
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::ffff:10.0.0.1', 'private', '10.0.0.1'],
    ['::ffff:a9fe:a9fe', 'cloud_metadata', '169.254.169.254'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback', '127.0.0.1'], // IPv4-compatible (deprecated)
    ['::7f00:1', 'loopback', '127.0.0.1'],
    ['::8.8.8.8', 'reserved'], // IPv4-compatible with a public address: still no legitimate use
    ['::ffff:0:7f00:1', 'loopback', '127.0.0.1'], // IPv4-translated
    ['64:ff9b::7f00:1', 'loopback', '127.0.0.1'], // NAT64
    ['64:ff9b::a9fe:a9fe', 'cloud_metadata', '169.254.169.254'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::', 'loopback', '127.0.0.1'], // 6to4
    ['2002:c0a8:101::1', 'private', '192.168.1.1'],
    ['2002:808:808::1', 'public'],
    // Teredo: server 65.54.227.120, client stored inverted (ffff:ffff -> 0.0.0.0, 80ff:fffe -> 127.0.0.1)
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback', '127.0.0.1'],
    ['2001:0:7f00:1:8000:63bf:3fff:fdd2', 'loopback', '127.0.0.1'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved', '192.0.2.45'], // RFC 4380's example client is TEST-NET
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'], // client 8.8.8.8
    // Not addresses at all
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['0177.0.0.1', 'invalid'], // legacy spellings are URL syntax, never resolver output
    ['127.1', 'invalid'],
    ['2130706433', 'invalid'],
  ];

  it.each(table)('%s is %s', (address, category, embeddedIpv4) => {
    const verdict = classifyAddress(address);
    expect(verdict.category).toBe(category);
    expect(verdict.embeddedIpv4).toBe(embeddedIpv4);
  });
});

describe('isAddressAllowed / EgressPolicy', () => {
  it.each([
    ['8.8.8.8', [], true],
    ['127.0.0.1', [], false],
    ['127.0.0.1', ['127.0.0.1'], true],
    ['127.0.0.1', ['127.0.0.1/32'], true],
    ['127.0.0.2', ['127.0.0.1/32'], false],
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['10.1.2.3', ['192.168.0.0/16'], false],
    ['::ffff:10.1.2.3', ['10.0.0.0/8'], true], // mapped form matches the IPv4 CIDR
    ['10.1.2.3', ['::ffff:10.0.0.0/104'], true], // and the other way round
    ['fd12::1', ['fd12::/16'], true],
    ['fd12::1', ['10.0.0.0/8'], false],
    ['::1', ['127.0.0.0/8'], false],
    // Metadata endpoints stay closed whatever the allowlist says
    ['169.254.169.254', ['169.254.169.254/32'], false],
    ['169.254.169.254', ['0.0.0.0/0'], false],
    ['fd00:ec2::254', ['::/0'], false],
    ['::ffff:169.254.169.254', ['0.0.0.0/0'], false],
    ['169.254.1.1', ['169.254.0.0/16'], true],
  ] as [string, string[], boolean][])('%s with %j -> %s', (address, allowlist, allowed) => {
    expect(isAddressAllowed(address, allowlist)).toBe(allowed);
  });

  it('re-permits the addresses of an allowlisted hostname only', () => {
    const policy = new EgressPolicy(['CRM.Internal.', 'ünï.example']);
    expect(policy.checkAddress('10.0.0.5', 'crm.internal')).toMatchObject({ allowed: true, viaAllowlist: true });
    expect(policy.checkAddress('10.0.0.5', 'crm.internal.')).toMatchObject({ allowed: true });
    expect(policy.checkAddress('10.0.0.5', 'xn--n-nga1b.example')).toMatchObject({ allowed: true });
    expect(policy.checkAddress('10.0.0.5', 'other.internal')).toMatchObject({ allowed: false });
    expect(policy.checkAddress('10.0.0.5')).toMatchObject({ allowed: false, category: 'private' });
    expect(policy.checkAddress('169.254.169.254', 'crm.internal')).toMatchObject({ allowed: false });
    expect(policy.checkAddress('8.8.8.8')).toEqual({ allowed: true, category: 'public', viaAllowlist: false });
  });

  it.each(['10.0.0.0/33', '10.0.0.0/', '0177.0.0.1/8', '127.1', '2130706433', 'bad host', 'a..b', '-x.com'])(
    'refuses the malformed allowlist entry %j',
    (entry) => {
      expect(() => new EgressPolicy([entry])).toThrow(/Invalid allowlist entry/);
    },
  );
});
