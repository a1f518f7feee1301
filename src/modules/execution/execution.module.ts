import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { FlowsModule } from '../flows/index.js';
import { SecretResolverService, SecretsModule } from '../secrets/index.js';
import { FLOW_SOURCE } from './definition/flow-source.port.js';
import { FlowsRuntimeAdapter } from './definition/flows-runtime.adapter.js';
import { ExecutionHooks } from './engine/execution-hooks.js';
import { FlowEngine } from './engine/flow-engine.js';
import { SandboxPool } from '../sandbox/index.js';
import { SandboxPoolAdapter } from './engine/sandbox-pool.adapter.js';
import type { ScriptSandbox } from './engine/sandbox.port.js';
import { ExecutionService } from './execution.service.js';
import { ENGINE, SCRIPT_SANDBOX } from './execution.tokens.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';
import { INSTANCE_ID, newInstanceId } from './runs/instance.js';
import { RunRecoveryService } from './runs/run-recovery.service.js';
import { ScheduleService } from './runs/schedule.service.js';

@Module({
  imports: [FlowsModule, SecretsModule],
  controllers: [RunsController],
  providers: [
    { provide: INSTANCE_ID, useFactory: newInstanceId },
    { provide: SCRIPT_SANDBOX, inject: [AppConfig], useFactory: (c: AppConfig) => new SandboxPoolAdapter(new SandboxPool({
      timeoutMs: c.get('TENANTFLOW_SANDBOX_TIMEOUT'), memoryLimitMb: c.get('TENANTFLOW_SANDBOX_MEMORY_MB'),
      hostProcesses: c.get('TENANTFLOW_SANDBOX_PROCESSES'), maxIsolatesPerOrg: c.get('TENANTFLOW_SANDBOX_ISOLATES_PER_ORG'),
      outputMaxBytes: c.get('TENANTFLOW_STEP_OUTPUT_LIMIT') * 8,
    })) },
    ExecutionHooks,
    { provide: ENGINE, inject: [SCRIPT_SANDBOX, ExecutionHooks, SecretResolverService],
      useFactory: (sandbox: ScriptSandbox, hooks: ExecutionHooks, secrets: SecretResolverService) => new FlowEngine({ sandbox, hooks, secrets }) },
    { provide: FLOW_SOURCE, useClass: FlowsRuntimeAdapter },
    ExecutionService, RunsService, RunRecoveryService, ScheduleService,
  ],
  exports: [ExecutionService, ExecutionHooks, RunRecoveryService, FLOW_SOURCE],
})
export class ExecutionModule implements OnApplicationShutdown {
  constructor(@Inject(SCRIPT_SANDBOX) private readonly sandbox: ScriptSandbox) {}

  // After every onModuleDestroy (runs drained by ExecutionService), so no run loses its sandbox mid-step.
  async onApplicationShutdown(): Promise<void> {
    await this.sandbox.close();
  }
}
