import { Injectable } from '@nestjs/common';
import { Database } from '../../../core/database/database.js';
import { FlowDefinitionsService, FlowRuntimeService } from '../../flows/index.js';
import { executionSystemQueries } from '../execution.system-queries.js';
import type { FlowSource, RunnableFlow, ScheduledFlowInfo, WebhookFlowInfo } from './flow-source.port.js';

/** Binds the engine's flow source to the flows module's runtime service. */
@Injectable()
export class FlowsRuntimeAdapter implements FlowSource {
  constructor(
    private readonly runtime: FlowRuntimeService,
    private readonly definitions: FlowDefinitionsService,
    private readonly db: Database,
  ) {}

  getRunnableDefinition(
    orgId: string,
    flowId: string,
    version?: number | 'draft',
    opts?: { authorize?: ('run' | 'update' | 'read')[] },
  ): Promise<RunnableFlow> {
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
    const rows = await executionSystemQueries(this.db).scheduledFlows();
    return rows.map((r) => ({
      orgId: r.org_id,
      projectId: r.project_id,
      flowId: r.id,
      version: r.published_version,
      definition: this.definitions.read(r.definition),
      activeSince: r.active_since,
    }));
  }
}
