import { LessThan, type EntityManager, type EntityTarget, type FindOptionsWhere, type ObjectLiteral } from 'typeorm';

export type OrgScope = { orgId: string };
type Row = ObjectLiteral & { id: string; orgId: string };

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
  page(em: EntityManager, where: (FindOptionsWhere<T> & OrgScope) | (FindOptionsWhere<T> & OrgScope)[], limit: number, beforeId?: string): Promise<T[]> {
    const withCursor = (w: FindOptionsWhere<T> & OrgScope) => (beforeId ? { ...w, id: LessThan(beforeId) } : w);
    const all = Array.isArray(where) ? where.map(withCursor) : withCursor(where);
    return em.getRepository(this.target).find({ where: all as FindOptionsWhere<T>[], order: { id: 'DESC' } as never, take: limit + 1 });
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
