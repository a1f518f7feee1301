import { describe, expect, it } from 'vitest';
import { problemFromMiddlewareError } from '../../errors/problem.js';
import { assertBodyEncoding, assertJsonShape, JSON_LIMITS, parseJsonBody } from '../body.js';
import { assertSingleHeader } from '../headers.js';

/** The problem a body refusal becomes (status, code, first error path). */
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    const p = problemFromMiddlewareError(e as never);
    return { status: p?.status, code: p?.code, path: (p?.errors as { path: string }[] | undefined)?.[0]?.path };
  }
  return null;
};

describe('body bounds (issue 11)', () => {
  it('accepts ordinary bodies and bodies at each bound', () => {
    expect(refusal(() => assertJsonShape({ a: [1, 'x', { b: null }], c: true }))).toBeNull();
    expect(
      refusal(() =>
        assertJsonShape(Object.fromEntries(Array.from({ length: JSON_LIMITS.keysPerObject }, (_, i) => [`k${i}`, i]))),
      ),
    ).toBeNull();
    expect(refusal(() => assertJsonShape({ list: new Array(JSON_LIMITS.arrayLength).fill(0) }))).toBeNull();
    expect(refusal(() => assertJsonShape({ s: 'x'.repeat(JSON_LIMITS.stringLength) }))).toBeNull();
  });

  it('refuses each bound with the path of the offending value', () => {
    expect(
      refusal(() => assertJsonShape({ o: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])) })),
    ).toEqual({ status: 400, code: 'validation_failed', path: 'o' });
    expect(refusal(() => assertJsonShape({ a: [{ list: new Array(10_001).fill(0) }] }))).toEqual({
      status: 400,
      code: 'validation_failed',
      path: 'a[0].list',
    });
    expect(refusal(() => assertJsonShape(Array.from({ length: 100 }, () => new Array(600).fill(1))))?.code).toBe(
      'validation_failed',
    );
    expect(refusal(() => assertJsonShape({ 'a b': { s: 'x'.repeat(262_145) } }))).toEqual({
      status: 413,
      code: 'payload_too_large',
      path: '["a b"].s',
    });
  });

  it('refuses prototype keys at any depth, as parsed from JSON', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(refusal(() => parseJsonBody(Buffer.from(`{"a":[{"${key}":{"x":1}}]}`)))).toEqual({
        status: 400,
        code: 'validation_failed',
        path: `a[0].${key}`,
      });
    }
    expect(refusal(() => parseJsonBody(Buffer.from('{"__proto__x":1,"proto":2}')))).toBeNull();
  });

  it('maps depth, syntax, coding and charset refusals like body-parser errors', () => {
    expect(refusal(() => parseJsonBody(Buffer.from(`${'['.repeat(129)}${']'.repeat(129)}`)))?.code).toBe(
      'validation_failed',
    );
    expect(refusal(() => parseJsonBody(Buffer.from('{"a":')))?.code).toBe('malformed_json');
    expect(refusal(() => assertBodyEncoding({ 'content-encoding': 'gzip' }))).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
    });
    expect(refusal(() => assertBodyEncoding({ 'content-type': 'application/json; charset=utf-16' }))).toMatchObject({
      status: 415,
    });
    expect(refusal(() => assertBodyEncoding({ 'content-type': 'application/json; charset=UTF-8' }))).toBeNull();
    expect(refusal(() => assertBodyEncoding({ 'content-type': 'text/plain; charset=latin1' }))).toBeNull();
  });

  it('refuses a repeated credential header, whatever its spelling', () => {
    expect(
      refusal(() =>
        assertSingleHeader({ rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'] }, 'authorization'),
      ),
    ).toMatchObject({ status: 400, code: 'bad_request' });
    expect(
      refusal(() => assertSingleHeader({ rawHeaders: ['Authorization', 'Bearer a', 'X-Other', 'b'] }, 'Authorization')),
    ).toBeNull();
  });
});
