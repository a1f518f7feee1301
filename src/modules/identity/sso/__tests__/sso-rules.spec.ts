import { describe, expect, it } from 'vitest';
import { checkIdpUrl } from '../config/idp-cert.js';
import { resolveRole } from '../accounts/role-mapping.js';
import { isSafeReturnTo } from '../login/return-to.js';
import { oidcFailure } from '../oidc/oidc-errors.js';
import { samlFailure } from '../saml/saml-errors.js';

describe('returnTo', () => {
  it('accepts same-origin relative paths only', () => {
    for (const ok of ['/', '/flows/1?tab=runs#x', '/a/b%2Fc']) expect(isSafeReturnTo(ok), ok).toBe(true);
    for (const bad of [
      '',
      'flows',
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '/\tx',
      '/x\\y',
      'javascript:alert(1)',
      '/'.padEnd(3000, 'a'),
      42,
    ]) {
      expect(isSafeReturnTo(bad), String(bad)).toBe(false);
    }
  });

  // Issue 11: values that turn into `//evil.example` once a browser decodes them, drops tabs/newlines or resolves dots.
  it.each([
    ['/%09/evil.example', false],
    ['/%0d%0a/evil.example', false],
    ['/%0a/evil.example', false],
    ['/x%0d%0aSet-Cookie:%20a=b', false],
    ['/%2509/evil.example', false],
    ['/.//evil.example', false],
    ['/%2e%2e//evil.example', false],
    ['/%2E%2E//evil.example', false],
    ['/a/../..//evil.example', false],
    ['/./%2f/evil.example', false],
    ['/%2f%2fevil.example', false],
    ['/%5cevil.example', false],
    ['/%5C%5Cevil.example', false],
    ['/%', false],
    ['/%E0%A4%A', false],
    ['/%252525252f%252525252fevil.example', false],
    ['/flows/1?tab=runs#x', true],
    ['/a/b%2Fc', true],
    ['/a/./b/../c', true],
    ['/search?q=%2F%2Fexample', true],
    ['/caf%C3%A9', true],
  ])('returnTo %s -> %s', (value, ok) => {
    expect(isSafeReturnTo(value)).toBe(ok);
  });
});

describe('role mapping', () => {
  const rules = {
    roleMappings: [
      { group: 'Admins', role: 'admin' },
      { group: 'Dev', role: 'editor' },
    ],
    defaultRole: null,
  };

  it('takes the first mapping in configured order, compares groups exactly, and has no role without a default', () => {
    expect(resolveRole(rules, ['Dev', 'Admins'])).toBe('admin');
    expect(resolveRole(rules, ['Dev'])).toBe('editor');
    expect(resolveRole(rules, ['admins', 'dev'])).toBeNull();
    expect(resolveRole(rules, ['Ａdmins'])).toBeNull();
    expect(resolveRole({ ...rules, defaultRole: 'viewer' }, [])).toBe('viewer');
  });
});

describe('IdP URLs', () => {
  it('needs https outside development and no credentials or fragment', () => {
    expect(checkIdpUrl('https://idp.example/sso', false)).toBeNull();
    expect(checkIdpUrl('http://idp.example/sso', false)).toMatch(/https/);
    expect(checkIdpUrl('http://127.0.0.1:8080/sso', true)).toBeNull();
    expect(checkIdpUrl('https://user:pw@idp.example/', false)).toMatch(/credentials/);
    expect(checkIdpUrl('https://idp.example/#x', false)).toMatch(/fragment/);
    expect(checkIdpUrl('javascript:alert(1)', true)).toMatch(/http/);
  });
});

describe('library errors become reason codes without their text', () => {
  it('maps node-saml messages', () => {
    expect(samlFailure(new Error('SAML assertion expired: clocks skewed too much')).reason).toBe('assertion_expired');
    expect(samlFailure(new Error('SAML assertion not yet valid')).reason).toBe('assertion_not_yet_valid');
    expect(samlFailure(new Error('SAML assertion audience mismatch. Expected: a Received: b')).reason).toBe(
      'audience_mismatch',
    );
    expect(samlFailure(new Error('InResponseTo is missing from response')).reason).toBe('unsolicited_response');
    expect(samlFailure(new Error('InResponseTo is not valid')).reason).toBe('unknown_request');
    expect(samlFailure(new Error('Invalid signature')).reason).toBe('invalid_signature');
    expect(samlFailure(new Error('something new')).reason).toBe('invalid_response');
  });

  it('maps openid-client errors, including wrapped claim comparisons', () => {
    const wrapped = Object.assign(new Error('unexpected JWT claim value encountered'), {
      code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      cause: { cause: { claim: 'nonce' } },
    });
    expect(oidcFailure(wrapped).reason).toBe('nonce_mismatch');
    expect(
      oidcFailure(
        Object.assign(new Error('x'), { code: 'OAUTH_RESPONSE_BODY_ERROR', status: 400, error: 'invalid_grant' }),
      ).reason,
    ).toBe('code_rejected');
    expect(oidcFailure(Object.assign(new Error('x'), { code: 'OAUTH_RESPONSE_BODY_ERROR', status: 503 })).reason).toBe(
      'idp_unavailable',
    );
    expect(oidcFailure(new TypeError('fetch failed')).reason).toBe('idp_unavailable');
    const failure = oidcFailure(Object.assign(new Error('expected nonce abc'), { code: 'OAUTH_INVALID_RESPONSE' }));
    expect(failure.reason).toBe('token_invalid');
    expect(failure.message).not.toContain('abc');
  });
});
