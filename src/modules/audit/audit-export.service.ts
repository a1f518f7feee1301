import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { Database } from '../../core/database/database.js';
import { LOGGER } from '../../core/logging/logger.js';
import { AUDIT_COLUMNS, type AuditRow } from './audit-entry.js';
import { csvHeader, csvLine } from './audit-csv.js';
import { toAuditDto } from './audit-mapper.js';
import { auditConditions } from './audit-sql.js';
import type { AuditExportQueryDto } from './dto/audit-query.dto.js';

const BATCH = 1000;

/** Waits until the socket takes more data (or goes away). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams an org's entries, oldest first, as NDJSON or CSV. Keyset batches of {@link BATCH} rows, each in its own
 * short transaction (no connection is held while a slow client reads), bounded by the chain head at the start;
 * the next batch is fetched only once the socket has drained, so memory stays flat whatever the size.
 */
@Injectable()
export class AuditExportService {
  constructor(
    private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async stream(orgId: string, q: AuditExportQueryDto, res: Response): Promise<void> {
    const csv = q.format === 'csv';
    const head = await this.db.withOrg(
      orgId,
      (em) => em.query('SELECT seq FROM audit_chain WHERE org_id = $1', [orgId]) as Promise<{ seq: string }[]>,
    );
    const upTo = head[0]?.seq ?? '0';
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-${stamp}.${csv ? 'csv' : 'ndjson'}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      if (csv) res.write(csvHeader());
      let after = '0';
      for (;;) {
        const rows = await this.batch(orgId, q, after, upTo);
        if (rows.length === 0) break;
        const chunk = rows.map((r) => (csv ? csvLine(toAuditDto(r)) : `${JSON.stringify(toAuditDto(r))}\n`)).join('');
        if (!res.write(chunk)) await drained(res);
        if (res.destroyed) return;
        after = rows[rows.length - 1].seq;
        if (rows.length < BATCH) break;
      }
      res.end();
    } catch (err) {
      // Headers are gone: the only honest signal left is an aborted body.
      this.log.error({ err: (err as Error).message }, 'audit export failed mid-stream');
      res.destroy(err as Error);
    }
  }

  private batch(orgId: string, q: AuditExportQueryDto, after: string, upTo: string): Promise<AuditRow[]> {
    const params: unknown[] = [orgId];
    const cond = auditConditions(q, params);
    params.push(after, upTo, BATCH);
    const n = params.length;
    const sql = `SELECT ${AUDIT_COLUMNS} FROM audit_event WHERE ${cond.join(' AND ')} AND seq > $${n - 2} AND seq <= $${n - 1}
      ORDER BY seq LIMIT $${n}`;
    return this.db.withOrg(orgId, (em) => em.query(sql, params) as Promise<AuditRow[]>);
  }
}
