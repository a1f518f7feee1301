import { describe, expect, it } from 'vitest';
import { canonicalJson, chainHash, entryBody, GENESIS_HASH } from '../audit-hash.js';
import { buildEntry } from '../audit-entry.js';

describe('canonical entry hashing', () => {
  it('sorts keys at every depth, drops undefined and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'é' }], c: undefined }, é: true })).toBe(
      '{"a":{"d":[1,{"y":"é","z":null}]},"b":1,"é":true}',
    );
    expect(canonicalJson({ x: NaN, y: [undefined] })).toBe('{"x":null,"y":[null]}');
  });

  it('is independent of insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('chains: sha256(prev | seq | ISO time | body)', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const h1 = chainHash(GENESIS_HASH, 1, at, '{"v":1}');
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, '1', at, '{"v":1}')).toBe(h1);
    expect(chainHash(GENESIS_HASH, 2, at, '{"v":1}')).not.toBe(h1);
    expect(chainHash(h1, 1, at, '{"v":1}')).not.toBe(h1);
  });

  it('builds a body whose metadata survives a JSON round trip unchanged', () => {
    const e = buildEntry(
      {
        action: 'flow.published',
        orgId: '0190a8c8-6c7b-7000-8000-000000000001',
        resourceType: 'flow',
        resourceId: 'f1',
        metadata: { version: 3, at: new Date('2026-01-01T00:00:00Z'), big: 10n, skip: undefined, nested: { n: 1e21 } },
      },
      undefined,
    );
    expect(e.metadata).toEqual({ version: 3, at: '2026-01-01T00:00:00.000Z', big: '10', nested: { n: 1e21 } });
    const body = entryBody(e);
    expect(entryBody({ ...e, metadata: JSON.parse(JSON.stringify(e.metadata)) })).toBe(body);
    expect(JSON.parse(body)).toMatchObject({
      v: 1,
      actor: { type: 'system', id: null, name: null },
      outcome: 'success',
      ip: null,
    });
  });

  it('refuses malformed events (the publishing transaction fails)', () => {
    const ok = { orgId: '0190a8c8-6c7b-7000-8000-000000000001', resourceType: 'x' };
    expect(() => buildEntry({ ...ok, action: 'Project.Created' }, undefined)).toThrow(/Invalid audit action/);
    expect(() => buildEntry({ ...ok, action: 'nodot' }, undefined)).toThrow(/Invalid audit action/);
    expect(() => buildEntry({ ...ok, action: 'a.b', orgId: 'not-a-uuid' }, undefined)).toThrow(/org id/);
    expect(() => buildEntry({ ...ok, action: 'a.b', outcome: 'maybe' as never }, undefined)).toThrow(/outcome/);
    expect(buildEntry({ ...ok, action: 'platform_key.created', orgId: null }, undefined).orgId).toBe(
      '00000000-0000-0000-0000-000000000000',
    );
  });

  it('takes the actor from the event, else the principal, else system', () => {
    const ev = { action: 'auth.login', orgId: '0190a8c8-6c7b-7000-8000-000000000001', resourceType: 'user' };
    const ctx = {
      requestId: 'r',
      ip: '::1',
      userAgent: 'ua',
      principal: { type: 'api_key' as const, id: 'k1', displayName: 'CI key', orgId: ev.orgId },
    };
    expect(buildEntry(ev, ctx)).toMatchObject({
      actor: { type: 'api_key', id: 'k1', name: 'CI key' },
      ip: '::1',
      userAgent: 'ua',
      requestId: 'r',
    });
    expect(buildEntry({ ...ev, actor: { type: 'user', id: 'u1', displayName: 'Ada' } }, ctx).actor).toEqual({
      type: 'user',
      id: 'u1',
      name: 'Ada',
    });
    expect(buildEntry(ev, { requestId: 'r' }).actor).toEqual({ type: 'system', id: null, name: null });
  });
});
