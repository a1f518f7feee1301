import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { readCookie, readSessionCookie } from '../session-cookie.js';
import * as sso from '../../sso/login/sso-responder.js';

const req = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as Request;

describe('one cookie reader (issue 12: the session and SSO readers decoded differently)', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['b=abc', 'abc'],
    ['x=1; b=abc', 'abc'],
    ['  b = abc  ', 'abc'],
    ['b="abc"', 'abc'],
    ['b=a%3Db%2Bc', 'a=b+c'],
    ['b=%E0%A4%A', undefined],
    ['b=first; b=second', 'first'],
    ['bb=no; b=yes', 'yes'],
    ['b=', ''],
    ['b="', '"'],
  ])('%s -> %s', (header, value) => {
    expect(readCookie(req(header), 'b')).toBe(value);
  });

  it('the session cookie and the SSO binding cookies go through the same reader', () => {
    expect(readSessionCookie(req('tenantflow_session=%22tok%22'))).toBe('"tok"');
    expect(readCookie(req('tenantflow_sso_binding="a%2Fb"'), 'tenantflow_sso_binding')).toBe('a/b');
    expect('readCookie' in sso).toBe(false);
  });
});
