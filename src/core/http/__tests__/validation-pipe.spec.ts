import { describe, expect, it } from 'vitest';
import { PageQueryDto, parsePageQuery } from '../pagination.js';
import { createValidationPipe } from '../validation-pipe.js';

const full = createValidationPipe({ fastQueries: false });
const fast = createValidationPipe();
const meta = { type: 'query' as const, metatype: PageQueryDto };

/** The full pipe's answer: the instance, or the problem's field errors. */
async function answer(pipe: typeof full, query: Record<string, unknown>): Promise<unknown> {
  try {
    const dto = (await pipe.transform({ ...query }, meta)) as PageQueryDto;
    return { instance: dto instanceof PageQueryDto, fields: { ...dto } };
  } catch (e) {
    return { status: (e as { status?: number }).status, extra: (e as { extra?: unknown }).extra };
  }
}

const QUERIES: Record<string, unknown>[] = [
  {},
  { limit: '1' },
  { limit: '10' },
  { limit: '010' },
  { limit: '200' },
  { limit: '201' },
  { limit: '0' },
  { limit: '-1' },
  { limit: '1e2' },
  { limit: '10.0' },
  { limit: ' 10' },
  { limit: '' },
  { limit: ['10', '20'] },
  { limit: '9999999999999999' },
  { cursor: 'MDE5YjA1ZjctN2Y0Ny03YzA1LTk0ZTEtOGM5MjM1NzAyYmI2' },
  { cursor: 'a' },
  { cursor: 'a'.repeat(200) },
  { cursor: 'a'.repeat(201) },
  { cursor: 'not/base64' },
  { cursor: '' },
  { cursor: ['a', 'b'] },
  { limit: '5', cursor: 'abc_-' },
  { limit: '5', other: 'x' },
  { other: 'x' },
  { __proto__: 'x' },
  { constructor: 'x' },
];

describe('validation pipe: the page-query fast path', () => {
  it('answers every query exactly as the full pipe does', async () => {
    for (const q of QUERIES) expect(await answer(fast, q), JSON.stringify(q)).toEqual(await answer(full, q));
  });

  it('takes only valid queries, and leaves everything else to the full pipe', () => {
    expect(parsePageQuery({ limit: '10', cursor: 'abc' })).toEqual(
      Object.assign(new PageQueryDto(), { limit: 10, cursor: 'abc' }),
    );
    expect(parsePageQuery({})).toBeInstanceOf(PageQueryDto);
    for (const q of [{ limit: '0' }, { limit: '201' }, { limit: ' 1' }, { cursor: '' }, { x: '1' }, { limit: ['1'] }])
      expect(parsePageQuery(q), JSON.stringify(q)).toBeUndefined();
  });
});
