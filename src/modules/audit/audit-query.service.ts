import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '../../core/database/database.js';
import type { Page } from '../../core/http/pagination.js';
import { AUDIT_COLUMNS, type AuditRow } from './audit-entry.js';
import { PLATFORM_ORG_ID } from './audit-hash.js';
import { toAuditDto } from './audit-mapper.js';
import { auditConditions, decodeSeqCursor, encodeSeqCursor } from './audit-sql.js';
import { badCursor } from './audit.exception.js';
import type { AuditEventResponseDto } from './dto/audit-event.response.dto.js';
import type { AuditQueryDto } from './dto/audit-query.dto.js';

/** Lists an org's entries newest first (by chain seq), filtered in SQL, with a seq cursor. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly db: Database) {}

  list(orgId: string, q: AuditQueryDto): Promise<Page<AuditEventResponseDto>> {
    return this.page(orgId, q, (fn) => this.db.withOrg(orgId, fn));
  }

  /** The platform chain, on the system pool (no tenant can see it). */
  listPlatform(q: AuditQueryDto): Promise<Page<AuditEventResponseDto>> {
    return this.page(PLATFORM_ORG_ID, q, (fn) => this.db.withSystem(fn));
  }

  private page(
    orgId: string,
    q: AuditQueryDto,
    run: <T>(fn: (em: EntityManager) => Promise<T>) => Promise<T>,
  ): Promise<Page<AuditEventResponseDto>> {
    const limit = q.limit ?? 50;
    const before = decodeSeqCursor(q.cursor);
    if (before === null) throw badCursor();
    const params: unknown[] = [orgId];
    const cond = auditConditions(q, params);
    if (before) {
      params.push(before);
      cond.push(`seq < $${params.length}`);
    }
    params.push(limit + 1);
    const sql = `SELECT ${AUDIT_COLUMNS} FROM audit_event WHERE ${cond.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`;
    return run(async (em) => {
      const rows = (await em.query(sql, params)) as AuditRow[];
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      return { items: items.map(toAuditDto), nextCursor: more ? encodeSeqCursor(items[items.length - 1].seq) : null };
    });
  }
}
