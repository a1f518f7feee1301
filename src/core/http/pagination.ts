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
