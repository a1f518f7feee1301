import {
  And,
  Equal,
  FindOperator,
  LessThan,
  type EntityManager,
  type EntityTarget,
  type FindOptionsWhere,
  type ObjectLiteral,
} from 'typeorm';
import { decodeCursor, pageOf, type Page, type PageQueryDto } from '../http/pagination.js';

export type OrgScope = { orgId: string };
type Row = ObjectLiteral & { id: string; orgId: string };

/** ANDs each of the caller's filter alternatives with the fixed scope: a filter never widens the scope. */
function narrow<T extends Row>(
  filter: FindOptionsWhere<T>[] | undefined,
  scope: FindOptionsWhere<T> & OrgScope,
): (FindOptionsWhere<T> & OrgScope)[] {
  const operator = (v: unknown) => (v instanceof FindOperator ? v : Equal(v));
  return (filter ?? [{}]).map((f) => {
    const out: Record<string, unknown> = { ...scope };
    for (const [k, v] of Object.entries(f)) {
      const fixed = (scope as Record<string, unknown>)[k];
      out[k] = fixed === undefined || fixed === v ? v : And(operator(fixed), operator(v));
    }
    return out as FindOptionsWhere<T> & OrgScope;
  });
}

/**
 * Data access for org-owned entities. Every method takes the org in its `where`, so a query without the tenant
 * does not compile (STYLE habit 2); row-level security underneath refuses it anyway.
 */
export class TenantScopedRepository<T extends Row> {
  constructor(protected readonly target: EntityTarget<T>) {}

  findOne(em: EntityManager, where: FindOptionsWhere<T> & OrgScope): Promise<T | null> {
    return em.getRepository(this.target).findOne({ where });
  }

  find(em: EntityManager, where: FindOptionsWhere<T> & OrgScope): Promise<T[]> {
    return em.getRepository(this.target).find({ where });
  }

  /** Newest first by UUIDv7 id; fetches `limit + 1` rows so the caller can tell whether more exist. */
  page(
    em: EntityManager,
    where: (FindOptionsWhere<T> & OrgScope) | (FindOptionsWhere<T> & OrgScope)[],
    limit: number,
    beforeId?: string,
  ): Promise<T[]> {
    const withCursor = (w: FindOptionsWhere<T> & OrgScope) => (beforeId ? { ...w, id: LessThan(beforeId) } : w);
    const all = Array.isArray(where) ? where.map(withCursor) : withCursor(where);
    return em
      .getRepository(this.target)
      .find({ where: all as FindOptionsWhere<T>[], order: { id: 'DESC' } as never, take: limit + 1 });
  }

  /**
   * The list recipe: one page (per `q`) of the rows in `scope` that match any of the caller's ability `filter`s,
   * newest first, mapped. `filter` undefined: no ability condition; `[]`: nothing is visible (no query). A bad
   * cursor is refused either way.
   */
  pageFiltered<M>(
    em: EntityManager,
    scope: FindOptionsWhere<T> & OrgScope,
    filter: FindOptionsWhere<T>[] | undefined,
    q: PageQueryDto,
    map: (row: T) => M,
  ): Promise<Page<M>> {
    if (filter && filter.length === 0) {
      decodeCursor(q.cursor);
      return Promise.resolve({ items: [], nextCursor: null });
    }
    return pageOf(q, (limit, before) => this.page(em, narrow(filter, scope), limit, before), map);
  }

  async insert(em: EntityManager, row: T): Promise<T> {
    await em.getRepository(this.target).insert(row as never);
    return row;
  }

  /** Updates the row matching `where` and returns it, or null when no such row exists in the org. */
  async update(em: EntityManager, where: FindOptionsWhere<T> & OrgScope, patch: Partial<T>): Promise<T | null> {
    const res = await em.getRepository(this.target).update(where, patch as never);
    if (!res.affected) return null;
    return this.findOne(em, where);
  }

  async delete(em: EntityManager, where: FindOptionsWhere<T> & OrgScope): Promise<boolean> {
    const res = await em.getRepository(this.target).delete(where);
    return (res.affected ?? 0) > 0;
  }
}
