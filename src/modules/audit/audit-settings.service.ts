import { Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import type { AuditSettingsResponseDto, UpdateAuditSettingsDto } from './dto/audit-settings.dto.js';

const DEFAULT_RETENTION_DAYS = 365;

/** Per-org audit settings (retention), kept on the org's chain head row. */
@Injectable()
export class AuditSettingsService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {}

  get(orgId: string): Promise<AuditSettingsResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const [row] = (await em.query('SELECT retention_days FROM audit_chain WHERE org_id = $1', [orgId])) as {
        retention_days: number;
      }[];
      return { retentionDays: row?.retention_days ?? DEFAULT_RETENTION_DAYS };
    });
  }

  update(orgId: string, dto: UpdateAuditSettingsDto): Promise<AuditSettingsResponseDto> {
    return this.db.withOrg(orgId, async (em) => {
      const [row] = (await em.query('SELECT retention_days FROM audit_chain WHERE org_id = $1 FOR NO KEY UPDATE', [
        orgId,
      ])) as { retention_days: number }[];
      const before = row?.retention_days ?? DEFAULT_RETENTION_DAYS;
      await em.query(
        `INSERT INTO audit_chain (org_id, seq, head_hash, retention_days) VALUES ($1, 0, repeat('0', 64), $2)
         ON CONFLICT (org_id) DO UPDATE SET retention_days = EXCLUDED.retention_days`,
        [orgId, dto.retentionDays],
      );
      await this.events.publish(em, {
        action: 'audit_settings.updated',
        orgId,
        resourceType: 'audit_settings',
        resourceId: orgId,
        metadata: { before: { retentionDays: before }, after: { retentionDays: dto.retentionDays } },
      });
      return { retentionDays: dto.retentionDays };
    });
  }
}
