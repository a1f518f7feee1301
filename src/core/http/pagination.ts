import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { IntField } from './validation.js';
import { CommonException } from '../errors/app.exception.js';
import { UUID_RE } from '../crypto/tokens.js';

export class PageQueryDto {
  @IntField({ min: 1, max: 200, optional: true, query: true, default: 50 })
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/)
  cursor?: string;
}

const LIMIT_TEXT = /^[0-9]{1,3}$/;
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The common, valid `PageQueryDto` query (`limit` as plain decimal text in range, a well-formed `cursor`, nothing
 * else) without class-transformer and class-validator, which cost a list more than its database read. Returns the
 * instance the validation pipe would; anything else is `undefined`, and the pipe decides and words the errors.
 * `validation-pipe.spec.ts` holds the two to the same answers.
 */
export function parsePageQuery(query: Record<string, unknown>): PageQueryDto | undefined {
  const dto = new PageQueryDto();
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (typeof value !== 'string') return undefined;
    if (key === 'limit' && LIMIT_TEXT.test(value)) {
      const limit = Number(value);
      if (limit < 1 || limit > 200) return undefined;
      dto.limit = limit;
    } else if (key === 'cursor' && CURSOR_TEXT.test(value)) dto.cursor = value;
    else return undefined;
  }
  return dto;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Cursors are the last item's time-ordered UUIDv7, opaque to clients. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID_RE.test(id))
    throw new CommonException('validation_failed', 'Invalid cursor', {
      errors: [{ path: 'cursor', message: 'invalid cursor' }],
    });
  return id;
}

/** Builds a page from `limit + 1` rows fetched newest first. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items: items.map(map), nextCursor: more && last ? Buffer.from(last.id).toString('base64url') : null };
}

export const pageLimit = (q: PageQueryDto): number => q.limit ?? 50;

/**
 * One page for `q`: checks the cursor, fetches `limit + 1` rows newest first through `fetch` (given the limit and
 * the id to start before), maps them. The SQL-building callers use it directly; TenantScopedRepository.pageFiltered
 * is the TypeORM form.
 */
export async function pageOf<R extends { id: string }, T>(
  q: PageQueryDto,
  fetch: (limit: number, before: string | undefined) => Promise<R[]>,
  map: (r: R) => T,
): Promise<Page<T>> {
  const limit = pageLimit(q);
  const before = decodeCursor(q.cursor);
  return toPage(await fetch(limit, before), limit, map);
}
