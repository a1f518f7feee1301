import { describe, expect, it } from 'vitest';
import { EgressDeniedError } from '../index.js';
import { parseEgressTarget } from '../egress-target.js';

// What WHATWG URL (Node's parser, the one every hop goes through) makes of each spelling. The address
// check relies on this: it only ever sees the normalised hostname, never the raw text.
describe('parseEgressTarget: WHATWG normalisation of host spellings', () => {
  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'], // decimal
    ['http://017700000001/', '127.0.0.1'], // octal, one part
    ['http://0177.0.0.1/', '127.0.0.1'], // octal
    ['http://0x7f.0.0.1/', '127.0.0.1'], // hex
    ['http://0x7f000001/', '127.0.0.1'], // hex, one part
    ['http://127.1/', '127.0.0.1'], // shortened
    ['http://127.0.0.1./', '127.0.0.1'], // trailing dot
    ['http://%31%32%37.0.0.1/', '127.0.0.1'], // percent-encoded
    ['http://①②⑦.0.0.1/', '127.0.0.1'], // full-width digits (IDNA mapping)
    ['http://0/', '0.0.0.0'],
    ['http://10.1/', '10.0.0.1'],
    ['http://192.168.257/', '192.168.1.1'],
    ['http://169.254.43518/', '169.254.169.254'],
    ['http://[::1]/', '::1'],
    ['http://[0:0:0:0:0:0:0:1]/', '::1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[::ffff:7f00:1]/', '::ffff:7f00:1'],
    ['http://[::127.0.0.1]/', '::7f00:1'],
    ['http:/\\127.0.0.1/', '127.0.0.1'], // backslash is a slash in special schemes
  ])('%s -> literal %s', (url, literal) => {
    const target = parseEgressTarget(url);
    expect(target.ipLiteral).toBe(literal);
    expect(target.hostname).toBe(literal);
  });

  it.each([
    ['http://LOCALHOST/', 'localhost'],
    ['http://localhost./', 'localhost.'],
    ['http://example.com\\@127.0.0.1/', 'example.com'], // the "@" lands in the path, not the host
    ['https://Bücher.example/', 'xn--bcher-kva.example'],
  ])('%s -> name %s (resolved, not a literal)', (url, hostname) => {
    const target = parseEgressTarget(url);
    expect(target.ipLiteral).toBeNull();
    expect(target.hostname).toBe(hostname);
  });

  it('works out default and explicit ports and a display form without path or query', () => {
    expect(parseEgressTarget('http://example.com/a?key=secret')).toMatchObject({
      port: 80,
      display: 'http://example.com',
    });
    expect(parseEgressTarget('https://example.com:8443/x')).toMatchObject({
      port: 8443,
      display: 'https://example.com:8443',
    });
    expect(parseEgressTarget('https://[::1]:443/').port).toBe(443);
  });

  it('resolves a relative redirect location against the previous URL', () => {
    const target = parseEgressTarget('/next?x=1', new URL('http://example.com:8080/start'));
    expect(target.url.href).toBe('http://example.com:8080/next?x=1');
  });

  it.each([
    ['file:///etc/passwd', 'scheme_forbidden'],
    ['ftp://example.com/', 'scheme_forbidden'],
    ['gopher://127.0.0.1:6379/_INFO', 'scheme_forbidden'],
    ['data:text/plain,hi', 'scheme_forbidden'],
    ['javascript:alert(1)', 'scheme_forbidden'],
    ['ws://example.com/', 'scheme_forbidden'],
    ['http://user:pass@example.com/', 'credentials_in_url'],
    ['http://user@example.com/', 'credentials_in_url'],
    ['http://127.0.0.1%2f@example.com/', 'credentials_in_url'],
    ['not a url', 'invalid_url'],
    ['/relative/only', 'invalid_url'],
    ['http://1.2.3.4.5/', 'invalid_url'],
    ['http://0x100000000/', 'invalid_url'],
    ['http://[fe80::1%25eth0]/', 'invalid_url'], // zone ids are not URL syntax
    ['http://exa mple.com/', 'invalid_url'],
  ])('%s is refused with %s', (url, reason) => {
    const attempt = (): unknown => parseEgressTarget(url);
    expect(attempt).toThrow(EgressDeniedError);
    expect(attempt).toThrow(expect.objectContaining({ reason }));
  });

  it('never echoes the URL (it may hold secrets) when refusing it', () => {
    for (const url of ['http://u:hunter2@example.com/', 'http://[bad?token=hunter2', 'ftp://x/?token=hunter2']) {
      let message = '';
      try {
        parseEgressTarget(url);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('hunter2');
    }
  });
});
