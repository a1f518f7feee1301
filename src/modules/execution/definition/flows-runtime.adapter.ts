import { Injectable } from '@nestjs/common';
import { Database } from '../../../core/database/database.js';
import { FlowDefinitionsService, FlowRuntimeService } from '../../flows/index.js';
import type { FlowSource, RunnableFlow, ScheduledFlowInfo, WebhookFlowInfo } from './flow-source.port.js';

/** Binds the engine's flow source to the flows module's runtime service. */
@Injectable()
export class FlowsRuntimeAdapter implements FlowSource {
  constructor(
    private readonly runtime: FlowRuntimeService,
    private readonly definitions: FlowDefinitionsService,
    private readonly db: Database,
  ) {}

  getRunnableDefinition(orgId: string, flowId: string, version?: number | 'draft', opts?: { authorize?: ('run' | 'update' | 'read')[] }): Promise<RunnableFlow> {
    return this.runtime.getRunnableDefinition(orgId, flowId, version, opts);
  }

  findPublishedForWebhook(flowId: string): Promise<WebhookFlowInfo | null> {
    return this.runtime.findPublishedForWebhook(flowId);
  }

  flowExists(orgId: string, flowId: string): Promise<boolean> {
    return this.runtime.exists(orgId, flowId);
  }

  /**
   * Enabled flows whose published version has a schedule trigger (platform work: the scheduler serves every org).
   * TODO(#7): move into FlowRuntimeService so the flows module owns every query on its tables.
   */
  async listScheduledFlows(): Promise<ScheduledFlowInfo[]> {
    const rows: { org_id: string; project_id: string; id: string; published_version: number; definition: unknown }[] = await this.db.system.query(
      `SELECT f.org_id, f.project_id, f.id, f.published_version, v.definition
         FROM flow f JOIN flow_version v ON v.flow_id = f.id AND v.version = f.published_version
         JOIN organization o ON o.id = f.org_id AND o.status = 'active'
        WHERE f.enabled AND f.deleted_at IS NULL AND v.definition -> 'trigger' ->> 'type' = 'schedule'`,
    );
    return rows.map((r) => ({ orgId: r.org_id, projectId: r.project_id, flowId: r.id, version: r.published_version, definition: this.definitions.read(r.definition) }));
  }
}
