import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../core/config/app-config.js';
import {
  DefinitionUpgradeError,
  NodeTypeRegistry,
  upgradeDefinition,
  validateDefinition,
  type ConnectionReference,
  type DefinitionIssue,
  type FlowDefinition,
} from './definition/index.js';
import { assertWithinLimits, type DefinitionLimits } from './domain/definition-limits.js';
import { maskDefinition, restoreMasked } from './domain/sensitive-values.js';
import { FlowsException } from './flows.exception.js';

/**
 * Decides whether the connections a definition references exist and may be used by the flow's project; returns
 * the problems (with the references' paths). Registered by the connections module.
 */
export type ConnectionReferenceChecker = (
  em: EntityManager,
  scope: { orgId: string; projectId: string },
  refs: ConnectionReference[],
) => Promise<DefinitionIssue[]>;

const invalid = (issues: DefinitionIssue[], message = 'The definition is invalid') =>
  new FlowsException('definition_invalid', message, { errors: issues });

/** Limits, validation, upgrades and secret masking of flow definitions, in one place for every flows service. */
@Injectable()
export class FlowDefinitionsService {
  private readonly connectionCheckers: ConnectionReferenceChecker[] = [];

  constructor(
    readonly registry: NodeTypeRegistry,
    private readonly config: AppConfig,
  ) {}

  /** TODO(#6): the connections module registers "connection exists and is usable by the project" here. */
  registerConnectionChecker(checker: ConnectionReferenceChecker): void {
    this.connectionCheckers.push(checker);
  }

  limits(): DefinitionLimits {
    return {
      maxBytes: this.config.get('TENANTFLOW_FLOW_MAX_DEFINITION_BYTES'),
      maxNodes: this.config.get('TENANTFLOW_FLOW_MAX_NODES'),
    };
  }

  /** A stored definition at the current schema version (stored rows are never rewritten). */
  read(stored: unknown): FlowDefinition {
    return upgradeDefinition(stored).definition;
  }

  /** What responses show: the definition with literal secrets masked. */
  present(def: FlowDefinition): FlowDefinition {
    return maskDefinition(def, this.registry);
  }

  /**
   * A submitted draft, ready to store: within limits, upgraded, draft-level valid, masked secrets restored from
   * the stored draft. Problems answer 413/422 (limits) or 400 `definition_invalid` with paths.
   */
  prepareDraft(submitted: unknown, previous: FlowDefinition | null): FlowDefinition {
    assertWithinLimits(submitted, this.limits());
    let upgraded: FlowDefinition;
    try {
      upgraded = upgradeDefinition(submitted).definition;
    } catch (e) {
      if (e instanceof DefinitionUpgradeError) throw invalid([{ path: '$.schemaVersion', message: e.message }]);
      throw e;
    }
    const { issues } = validateDefinition(upgraded, this.registry, 'draft');
    if (issues.length) throw invalid(issues);
    const restored = restoreMasked(upgraded, previous, this.registry);
    if (restored.issues.length) throw invalid(restored.issues);
    return restored.definition;
  }

  /** Full publish-level validation, including connection references; 422 `definition_not_publishable` with paths. */
  async assertPublishable(
    em: EntityManager,
    def: FlowDefinition,
    scope: { orgId: string; projectId: string },
  ): Promise<void> {
    assertWithinLimits(def, this.limits());
    const { issues, connections } = validateDefinition(def, this.registry, 'publish');
    if (!issues.length && connections.length) {
      for (const check of this.connectionCheckers) issues.push(...(await check(em, scope, connections)));
    }
    if (issues.length) {
      throw new FlowsException(
        'definition_not_publishable',
        'The draft cannot be published until these problems are fixed',
        { errors: issues },
      );
    }
  }
}
