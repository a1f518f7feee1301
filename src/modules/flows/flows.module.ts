import { Module, type OnModuleInit } from '@nestjs/common';
import { ConnectionsModule, ConnectionsRuntime } from '../connections/index.js';
import { AuthorizationModule } from '../authorization/index.js';
import { TenancyModule } from '../tenancy/index.js';
import { createNodeTypeRegistry, NodeTypeRegistry } from './definition/index.js';
import { FlowAuthzResolver } from './flow-authz.resolver.js';
import { FlowDefinitionsService } from './flow-definitions.service.js';
import { FlowDiffService } from './flow-diff.service.js';
import { FlowDraftsController } from './flow-drafts.controller.js';
import { FlowDraftsService } from './flow-drafts.service.js';
import { FlowRuntimeService } from './flow-runtime.service.js';
import { FlowShareContributor } from './flow-share.contributor.js';
import { FlowSharesController } from './flow-shares.controller.js';
import { FlowSharesService } from './flow-shares.service.js';
import { FlowVersionsController } from './flow-versions.controller.js';
import { FlowVersionsService } from './flow-versions.service.js';
import { FlowsController } from './flows.controller.js';
import { FlowsService } from './flows.service.js';

@Module({
  imports: [TenancyModule, AuthorizationModule, ConnectionsModule],
  controllers: [FlowsController, FlowDraftsController, FlowVersionsController, FlowSharesController],
  providers: [
    // One registry per process: the execution engine and plugins share it with the validator.
    { provide: NodeTypeRegistry, useFactory: createNodeTypeRegistry },
    FlowDefinitionsService,
    FlowsService,
    FlowDraftsService,
    FlowVersionsService,
    FlowDiffService,
    FlowSharesService,
    FlowRuntimeService,
    FlowShareContributor,
    FlowAuthzResolver,
  ],
  exports: [NodeTypeRegistry, FlowDefinitionsService, FlowsService, FlowRuntimeService],
})
export class FlowsModule implements OnModuleInit {
  constructor(
    private readonly definitions: FlowDefinitionsService,
    private readonly connections: ConnectionsRuntime,
  ) {}

  // Publishing refuses connections the flow's project may not use (422, the same answer whether they exist or not).
  onModuleInit(): void {
    this.definitions.registerConnectionChecker((em, scope, refs) => this.connections.checkReferences(em, scope, refs));
  }
}
