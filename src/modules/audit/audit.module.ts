import { Module } from '@nestjs/common';
import { AuditController, AuditSettingsController, PlatformAuditController } from './audit.controller.js';
import { AuditExportService } from './audit-export.service.js';
import { AuditQueryService } from './audit-query.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditSettingsService } from './audit-settings.service.js';
import { AuditWriter } from './audit.writer.js';

/** Subscribes to domain events (nobody imports this module's services) and serves the audit routes. */
@Module({
  controllers: [AuditController, AuditSettingsController, PlatformAuditController],
  providers: [AuditWriter, AuditQueryService, AuditExportService, AuditSettingsService, AuditRetentionService],
})
export class AuditModule {}
