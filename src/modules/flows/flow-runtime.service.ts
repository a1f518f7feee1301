import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import type { Action } from '../../core/authz/ability.js';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import type { FlowDefinition } from './definition/index.js';
import { assertCan, flowsRepo } from './flow-access.js';
import { FlowDefinitionsService } from './flow-definitions.service.js';
import { versionNotFound, versionsRepo } from './flow-versions.service.js';
import { flowNotFound, FlowsException } from './flows.exception.js';

export interface RunnableDefinition {
  orgId: string;
  projectId: string;
  flowId: string;
  enabled: boolean;
  /** The version that runs (record it on the run), or `draft`. */
  version: number | 'draft';
  /** Current schema version, unmasked: for the engine only, never for responses. */
  definition: FlowDefinition;
}

export interface WebhookFlow {
  orgId: string;
  projectId: string;
  flowId: string;
  enabled: boolean;
  /** The published version webhooks run, or null before the first publish. */
  version: number | null;
  definition: FlowDefinition | null;
}

/** Definitions for the execution engine and the webhook endpoint (module API, see index.ts). */
@Injectable()
export class FlowRuntimeService {
  constructor(
    private readonly db: Database,
    private readonly definitions: FlowDefinitionsService,
  ) {}

  /**
   * The definition a run executes: a version, the published one (`undefined`), or the draft (validated at publish
   * level first, so a run never starts from an incomplete draft). With `authorize`, the current request's ability
   * must allow each action on the flow (404 when it cannot read it, 403 otherwise); without it the caller authorises.
   */
  getRunnableDefinition(
    orgId: string,
    flowId: string,
    version?: number | 'draft',
    opts: { authorize?: Action[] } = {},
  ): Promise<RunnableDefinition> {
    return this.db.withOrg(orgId, async (em) => {
      if (!UUID_RE.test(flowId)) throw flowNotFound();
      const flow = await flowsRepo.findOne(em, { orgId, id: flowId, deletedAt: IsNull() });
      if (!flow) throw flowNotFound();
      for (const action of opts.authorize ?? []) assertCan(flow, action);
      const base = { orgId, projectId: flow.projectId, flowId, enabled: flow.enabled };
      if (version === 'draft') {
        const definition = this.definitions.read(flow.draft);
        await this.definitions.assertPublishable(em, definition, { orgId, projectId: flow.projectId });
        return { ...base, version: 'draft', definition };
      }
      const wanted = version ?? flow.publishedVersion;
      if (wanted === null) throw new FlowsException('flow_not_published', 'The flow has no published version');
      const row = await versionsRepo.findOne(em, { orgId, flowId, version: wanted });
      if (!row) throw versionNotFound();
      return { ...base, version: row.version, definition: this.definitions.read(row.definition) };
    });
  }

  /**
   * Whether a live (not deleted) flow with this id exists in the org and the caller may read it: a flow outside the
   * caller's sight (another project for a project key or an embedded session) is as absent as an unknown one.
   */
  async exists(orgId: string, flowId: string): Promise<boolean> {
    if (!UUID_RE.test(flowId)) return false;
    const flow = await this.db.withOrg(orgId, (em) =>
      flowsRepo.findOne(em, { orgId, id: flowId, deletedAt: IsNull() }),
    );
    if (!flow) return false;
    try {
      assertCan(flow, 'read');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Pre-tenant lookup for `/hooks/:flowId` (system pool: the org is not known yet). Deleted or unknown flows are
   * null. The caller checks `enabled`, the org's status and the trigger's auth before anything else.
   */
  async findPublishedForWebhook(flowId: string): Promise<WebhookFlow | null> {
    if (!UUID_RE.test(flowId)) return null;
    const rows: {
      org_id: string;
      project_id: string;
      enabled: boolean;
      published_version: number | null;
      definition: unknown;
    }[] = await this.db.withSystem((em) =>
      em.query(
        `SELECT f.org_id, f.project_id, f.enabled, f.published_version, v.definition
           FROM flow f LEFT JOIN flow_version v ON v.flow_id = f.id AND v.version = f.published_version
          WHERE f.id = $1 AND f.deleted_at IS NULL`,
        [flowId],
      ),
    );
    const r = rows[0];
    if (!r) return null;
    return {
      orgId: r.org_id,
      projectId: r.project_id,
      flowId,
      enabled: r.enabled,
      version: r.published_version,
      definition: r.definition === null || r.definition === undefined ? null : this.definitions.read(r.definition),
    };
  }
}
