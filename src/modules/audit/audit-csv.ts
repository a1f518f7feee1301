import type { AuditEventResponseDto } from './dto/audit-event.response.dto.js';

export const CSV_COLUMNS = [
  'id',
  'orgId',
  'seq',
  'time',
  'actorType',
  'actorId',
  'actorName',
  'action',
  'resourceType',
  'resourceId',
  'outcome',
  'reason',
  'ip',
  'userAgent',
  'requestId',
  'metadata',
  'hash',
] as const;

// Spreadsheet formula triggers (OWASP CSV injection): such a cell is prefixed with a quote so it stays text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 cell, neutralised against formula injection. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export function csvLine(e: AuditEventResponseDto): string {
  const cells = [
    e.id,
    e.orgId,
    e.seq,
    e.time,
    e.actor.type,
    e.actor.id,
    e.actor.displayName,
    e.action,
    e.resourceType,
    e.resourceId,
    e.outcome,
    e.reason,
    e.ip,
    e.userAgent,
    e.requestId,
    e.metadata,
    e.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}
